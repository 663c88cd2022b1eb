// The tracker pairs each upstream reply with the client request it answers, so a refused
// statement's substitute error is replaced and nothing else is. Each case is the message
// codes written upstream, then the codes the server answers with, and what the client
// must see.
#include "proxy/reply_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace blueshift::proxy {
namespace {

struct Step {
  enum Kind { Forward, Substitute, Notice } kind;
  char code;
};

struct Case {
  const char* name;
  std::vector<Step> sent;
  std::string server_codes;  // one char per backend message, in order
  std::string expected;      // what the client sees: codes, with 'R' for the replacement
                             // error and '!' for an injected notice
};

std::string run(const Case& c) {
  ReplyTracker t;
  for (const Step& s : c.sent) {
    if (s.kind == Step::Substitute) t.substitute_next("R");
    if (s.kind == Step::Notice) t.notice_next("!");
    t.on_forward(s.code);
  }
  std::string seen;
  for (char code : c.server_codes) {
    std::string out;
    const auto action = t.on_backend(code, &out);
    if (action == ReplyTracker::Action::Replace) {
      seen += out;
    } else {
      seen += out;
      seen += code;
    }
  }
  return seen;
}

constexpr auto F = Step::Forward;
constexpr auto S = Step::Substitute;
constexpr auto N = Step::Notice;

class ReplyTrackerTest : public ::testing::TestWithParam<Case> {};

TEST_P(ReplyTrackerTest, FoldsReplies) { EXPECT_EQ(run(GetParam()), GetParam().expected); }

INSTANTIATE_TEST_SUITE_P(
    Cases, ReplyTrackerTest,
    ::testing::Values(
        Case{"plain_query_passes", {{F, 'Q'}}, "TDCZ", "TDCZ"},
        Case{"refused_simple_query", {{S, 'Q'}}, "EZ", "RZ"},
        Case{"refusal_after_earlier_query", {{F, 'Q'}, {S, 'Q'}}, "TDCZEZ", "TDCZRZ"},
        Case{"earlier_query_error_is_kept", {{F, 'Q'}, {S, 'Q'}}, "EZEZ", "EZRZ"},
        Case{"query_after_refusal_passes", {{S, 'Q'}, {F, 'Q'}}, "EZEZ", "RZEZ"},
        // Extended: Parse/Bind/Execute of s1 succeed, then the substitute Bind fails.
        Case{"extended_substitute_after_success",
             {{F, 'P'}, {F, 'B'}, {F, 'E'}, {S, 'B'}, {F, 'S'}},
             "12DCEZ", "12DCRZ"},
        // s1's Execute fails first: the server skips the substitute; its error is s1's own.
        Case{"extended_earlier_error_wins",
             {{F, 'P'}, {F, 'B'}, {F, 'E'}, {S, 'B'}, {F, 'S'}},
             "12EZ", "12EZ"},
        // Describe statement: ParameterDescription is not a completion, RowDescription is.
        Case{"describe_counts_once",
             {{F, 'P'}, {F, 'D'}, {S, 'B'}, {F, 'S'}},
             "1tTEZ", "1tTRZ"},
        Case{"substitute_in_second_batch",
             {{F, 'P'}, {F, 'B'}, {F, 'E'}, {F, 'S'}, {S, 'B'}, {F, 'S'}},
             "12CZEZ", "12CZRZ"},
        Case{"flush_does_not_end_batch",
             {{F, 'P'}, {F, 'H'}, {S, 'B'}, {F, 'S'}},
             "1EZ", "1RZ"},
        Case{"notice_before_ready", {{N, 'Q'}}, "TDCZ", "TDC!Z"},
        Case{"notice_for_second_batch_only", {{F, 'Q'}, {N, 'Q'}}, "CZCZ", "CZC!Z"},
        Case{"notice_and_refusal", {{N, 'Q'}, {S, 'Q'}}, "CZEZ", "C!ZRZ"},
        Case{"copy_in_batch", {{S, 'Q'}}, "EZ", "RZ"},
        Case{"function_call_ends_batch", {{F, 'F'}, {S, 'Q'}}, "VZEZ", "VZRZ"},
        Case{"notices_from_server_pass", {{S, 'Q'}}, "NEZ", "NRZ"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(ReplyTracker, ErrorWithoutPendingIsForwarded) {
  ReplyTracker t;
  t.on_forward('Q');
  std::string out;
  EXPECT_EQ(t.on_backend('E', &out), ReplyTracker::Action::Forward);
  EXPECT_TRUE(out.empty());
}

TEST(ReplyTracker, ReplacementUsedOnce) {
  ReplyTracker t;
  t.on_forward('P');
  t.substitute_next("refusal");
  t.on_forward('B');
  t.on_forward('S');
  std::string out;
  EXPECT_EQ(t.on_backend('1', &out), ReplyTracker::Action::Forward);
  EXPECT_EQ(t.on_backend('E', &out), ReplyTracker::Action::Replace);
  EXPECT_EQ(out, "refusal");
  out.clear();
  // A second error in the same batch cannot happen in the protocol, but must not reuse it.
  EXPECT_EQ(t.on_backend('E', &out), ReplyTracker::Action::Forward);
  EXPECT_EQ(t.on_backend('Z', &out), ReplyTracker::Action::Forward);
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace blueshift::proxy

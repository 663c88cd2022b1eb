// The governor's own log lines carry client-supplied text (a user name, an application_name,
// SQL in a refusal's audit line when no audit file is set): a newline in it must not forge a
// line of its own, nor raw bytes reach the log.
#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <string>

#include "governor_harness.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace blueshift::policies {
namespace {

using namespace testing;

constexpr const char* kForged = "[2020-01-01 00:00:00.000] [info] connection open user=admin";

// Captures what spdlog writes, one message a line, while it lives.
class CapturedLog {
 public:
  CapturedLog() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    sink->set_pattern("%v");
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink));
  }
  ~CapturedLog() { spdlog::set_default_logger(previous_); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

void expect_single_line(const std::string& text) {
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "more than one line: " << text;
  EXPECT_NE(text.rfind(kForged, 0), 0u) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
}

TEST(GovernorLog, AFailedLookupLineEscapesTheUserName) {
  Harness h;
  h.groups_fail = true;
  CapturedLog log;
  h.governor->lookup_groups(std::string("evil\n") + kForged);
  const std::string text = log.text();
  expect_single_line(text);
  EXPECT_NE(text.find("user evil\\x0a[2020-01-01\\x20"), std::string::npos) << text;
}

TEST(GovernorLog, ARefusalLoggedWithoutAnAuditFileIsOneLine) {
  GovernorOptions options;
  options.load_catalog = []() -> absl::StatusOr<Catalog> { return demo_catalog(); };
  auto governor = Governor::create(YAML::Load(kDemoPolicies), options);
  CapturedLog log;
  SessionContext session = ctx("analyst", {}, std::string("app\r\n") + kForged);
  const auto checked =
      governor->check_query(std::string("select count(*) from spectrum_schema.sales -- \n") + kForged + "\n", session);
  ASSERT_EQ(checked.verdict.outcome, Verdict::Outcome::Refuse);
  expect_single_line(log.text());
}

}  // namespace
}  // namespace blueshift::policies

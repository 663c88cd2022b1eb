// Reconcile's matching: recorded estimates paired with the warehouse's queries by session
// pid and time (policies/reconcile.h), each query once, with the estimate's error.
#include <gtest/gtest.h>

#include "policies/reconcile.h"

namespace blueshift::policies {
namespace {

using std::chrono::seconds;

const TimePoint kT0 = TimePoint(seconds(1'800'000'000));

EstimateRecord estimate(int32_t pid, int at, int64_t bytes) {
  EstimateRecord e;
  e.checked_at = kT0 + seconds(at);
  e.backend_pid = pid;
  e.user = "analyst";
  e.bytes = bytes;
  return e;
}
ScannedQuery query(int64_t id, int32_t pid, int at, int64_t bytes) { return ScannedQuery{id, pid, kT0 + seconds(at), bytes}; }

TEST(Reconcile, EachEstimateTakesTheFirstQueryOfItsSessionAfterIt) {
  ReconcileSettings s;
  std::set<int64_t> taken;
  // Two sessions interleaved; pid 7 ran two statements, pid 9 one.
  const auto r = match_estimates({estimate(7, 10, 100), estimate(9, 11, 300), estimate(7, 20, 200)},
                                 {query(1, 7, 10, 50), query(2, 9, 12, 300), query(3, 7, 21, 400), query(4, 8, 10, 1)},
                                 kT0 + seconds(30), s, &taken);
  ASSERT_EQ(r.matched.size(), 3u);
  EXPECT_TRUE(r.waiting.empty());
  std::map<int64_t, int64_t> estimated_by_query;
  for (const auto& m : r.matched) estimated_by_query[m.query] = m.estimate.bytes;
  EXPECT_EQ(estimated_by_query, (std::map<int64_t, int64_t>{{1, 100}, {2, 300}, {3, 200}}));
  std::map<int64_t, double> ratio_by_query;
  for (const auto& m : r.matched) ratio_by_query[m.query] = *m.error_ratio;
  // Twice what it read, exact, half.
  EXPECT_EQ(ratio_by_query, (std::map<int64_t, double>{{1, 1.0}, {2, 0.0}, {3, -0.5}}));
  EXPECT_DOUBLE_EQ(*mean_error(r.matched), 0.5 / 3);
  EXPECT_EQ(taken, (std::set<int64_t>{1, 2, 3}));
}

TEST(Reconcile, ClocksMayDifferBySlack) {
  ReconcileSettings s;
  s.slack_seconds = 2;
  std::set<int64_t> taken;
  // The warehouse's clock is a second behind the proxy's: within the slack.
  EXPECT_EQ(match_estimates({estimate(7, 10, 1)}, {query(1, 7, 9, 1)}, kT0 + seconds(20), s, &taken).matched.size(), 1u);
  // Three seconds before: an earlier statement's query, not this one's.
  taken.clear();
  EXPECT_TRUE(match_estimates({estimate(7, 10, 1)}, {query(1, 7, 7, 1)}, kT0 + seconds(20), s, &taken).matched.empty());
}

TEST(Reconcile, AQueryMatchesOnceAcrossRounds) {
  ReconcileSettings s;
  std::set<int64_t> taken;
  auto first = match_estimates({estimate(7, 10, 1)}, {query(1, 7, 10, 1)}, kT0 + seconds(11), s, &taken);
  ASSERT_EQ(first.matched.size(), 1u);
  // A later statement of the session whose query the view does not show yet waits.
  auto second = match_estimates({estimate(7, 12, 1)}, {query(1, 7, 10, 1)}, kT0 + seconds(13), s, &taken);
  EXPECT_TRUE(second.matched.empty());
  ASSERT_EQ(second.waiting.size(), 1u);
  auto third = match_estimates(second.waiting, {query(1, 7, 10, 1), query(2, 7, 12, 5)}, kT0 + seconds(14), s, &taken);
  ASSERT_EQ(third.matched.size(), 1u);
  EXPECT_EQ(third.matched[0].query, 2);
}

TEST(Reconcile, UnmatchedEstimatesAreDroppedOnceTheirWindowClosesOrTheyWaitTooLong) {
  ReconcileSettings s;
  s.max_wait_seconds = 60;
  std::set<int64_t> taken;
  // The first statement failed (no query); the second's query is in the view.
  auto r = match_estimates({estimate(7, 10, 1), estimate(7, 20, 1)}, {query(5, 7, 21, 1)}, kT0 + seconds(30), s, &taken);
  ASSERT_EQ(r.matched.size(), 1u);
  EXPECT_EQ(r.matched[0].query, 5);
  EXPECT_EQ(r.matched[0].estimate.checked_at, kT0 + seconds(20));
  EXPECT_EQ(r.expired, 1u);
  EXPECT_TRUE(r.waiting.empty());
  // Alone and never seen: waits until max_wait, then goes.
  EXPECT_EQ(match_estimates({estimate(8, 10, 1)}, {}, kT0 + seconds(60), s, &taken).waiting.size(), 1u);
  EXPECT_EQ(match_estimates({estimate(8, 10, 1)}, {}, kT0 + seconds(71), s, &taken).expired, 1u);
}

TEST(Reconcile, AQueryThatScannedNothingHasNoRatio) {
  ReconcileSettings s;
  std::set<int64_t> taken;
  const auto r = match_estimates({estimate(7, 10, 100)}, {query(1, 7, 10, 0)}, kT0 + seconds(11), s, &taken);
  ASSERT_EQ(r.matched.size(), 1u);
  EXPECT_FALSE(r.matched[0].error_ratio.has_value());
  EXPECT_FALSE(mean_error(r.matched).has_value());
}

TEST(Reconcile, TheRecorderIsBounded) {
  EstimateRecorder recorder(2);
  for (int i = 0; i < 5; ++i) recorder.record(estimate(1, i, 1));
  EXPECT_EQ(recorder.take().size(), 2u);
  EXPECT_EQ(recorder.take_dropped(), 3u);
  EXPECT_TRUE(recorder.take().empty());
  EXPECT_EQ(recorder.take_dropped(), 0u);
}

}  // namespace
}  // namespace blueshift::policies

#include "proxy/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

namespace blueshift::proxy::metrics {
namespace {

// Calls step(thread) on several threads at once for a fixed time, so that their updates
// overlap however the threads are scheduled (a fixed count let each thread finish before
// the next began, and a racy increment passed). Returns how many steps ran in all.
template <typename Step>
uint64_t on_threads_for_a_while(int count, Step step) {
  using Clock = std::chrono::steady_clock;
  std::atomic<int> ready{0};
  std::atomic<uint64_t> steps{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < count; ++t) {
    threads.emplace_back([&, t] {
      ready.fetch_add(1);
      while (ready.load() < count) std::this_thread::yield();
      const auto end = Clock::now() + std::chrono::milliseconds(100);
      uint64_t mine = 0;
      while (Clock::now() < end) {
        for (int i = 0; i < 256; ++i, ++mine) step(t);
      }
      steps.fetch_add(mine);
    });
  }
  for (auto& t : threads) t.join();
  return steps.load();
}

TEST(Metrics, CounterIncrementsFromSeveralThreadsAddUp) {
  Registry registry;
  Counter& counter = registry.counter("blueshift_test_total", "Test.");
  const uint64_t steps = on_threads_for_a_while(4, [&counter](int) { counter.inc(); });
  EXPECT_EQ(counter.value(), steps);
  EXPECT_EQ(find_value(registry.collect(), "blueshift_test_total"), static_cast<double>(steps));
}

// Threads bump cells of their own: the first kCounterShards threads never share one.
TEST(Metrics, ThreadsCountInCellsOfTheirOwn) {
  std::vector<size_t> shards(kCounterShards);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < kCounterShards; ++i) {
    threads.emplace_back([&shards, i] { shards[i] = counter_shard(); });
  }
  for (auto& t : threads) t.join();
  std::sort(shards.begin(), shards.end());
  EXPECT_EQ(std::unique(shards.begin(), shards.end()), shards.end()) << "two threads share a counter cell";
  EXPECT_LT(shards.back(), kCounterShards);
}

TEST(Metrics, CounterIncrementsByAnAmount) {
  Registry registry;
  Counter& counter = registry.counter("blueshift_bytes_total", "Test.");
  counter.inc(40);
  counter.inc();
  EXPECT_EQ(counter.value(), 41u);
}

TEST(Metrics, GaugeGoesUpAndDown) {
  Registry registry;
  Gauge& gauge = registry.gauge("blueshift_open", "Test.");
  EXPECT_EQ(gauge.add(3), 3);
  gauge.inc();
  gauge.dec();
  gauge.dec();
  EXPECT_EQ(gauge.value(), 2);
  EXPECT_EQ(gauge.add(-5), -3);
  gauge.set(7);
  EXPECT_EQ(find_value(registry.collect(), "blueshift_open"), 7.0);
}

TEST(Metrics, GaugeUpAndDownFromSeveralThreadsBalances) {
  Registry registry;
  Gauge& gauge = registry.gauge("blueshift_open", "Test.");
  std::atomic<int64_t> kept{0};  // steps of the threads that only go up
  on_threads_for_a_while(4, [&](int t) {
    gauge.inc();
    if (t % 2 == 0) gauge.dec();
    else kept.fetch_add(1, std::memory_order_relaxed);
  });
  EXPECT_EQ(gauge.value(), kept.load());
}

TEST(Metrics, HistogramBucketsSumAndCount) {
  Registry registry;
  Histogram& h = registry.histogram("blueshift_latency_seconds", "Test.", {0.1, 0.5, 1});
  for (double v : {0.05, 0.1, 0.3, 0.7, 2.0, 5.0}) h.observe(v);
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.bounds, (std::vector<double>{0.1, 0.5, 1}));
  // Buckets are "less than or equal": 0.1 falls in le="0.1". Cumulative, +Inf last.
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 3, 4, 6}));
  EXPECT_EQ(s.count, 6u);
  EXPECT_DOUBLE_EQ(s.sum, 8.15);
}

TEST(Metrics, HistogramObservationsFromSeveralThreadsAddUp) {
  Registry registry;
  Histogram& h = registry.histogram("blueshift_latency_seconds", "Test.", {1, 2});
  // Two threads a bucket, so that each bucket's count is raced for.
  const uint64_t steps = on_threads_for_a_while(4, [&h](int t) { h.observe(t % 2 ? 1.5 : 0.5); });
  const HistogramSnapshot s = h.snapshot();
  EXPECT_EQ(s.count, steps);
  EXPECT_EQ(s.cumulative.back(), steps);
  EXPECT_EQ(s.cumulative[1], steps) << "nothing above 1.5";
  EXPECT_DOUBLE_EQ(s.sum, 0.5 * static_cast<double>(s.cumulative[0]) + 1.5 * static_cast<double>(steps - s.cumulative[0]));
}

TEST(Metrics, HistogramBoundsMustIncrease) {
  Registry registry;
  EXPECT_THROW(registry.histogram("blueshift_h", "Test.", {1, 1}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("blueshift_h", "Test.", {2, 1}), std::invalid_argument);
  EXPECT_THROW(Histogram({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
  EXPECT_TRUE(registry.collect().empty()) << "a refused registration must leave nothing behind";
}

TEST(Metrics, RegisteringAgainReturnsTheSameSeries) {
  Registry registry;
  Counter& a = registry.counter("blueshift_x_total", "Test.", {{"result", "ok"}});
  Counter& b = registry.counter("blueshift_x_total", "Test.", {{"result", "ok"}});
  Counter& c = registry.counter("blueshift_x_total", "Test.", {{"result", "failed"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  a.inc();
  c.inc(2);
  const auto families = registry.collect();
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].samples.size(), 2u);
  EXPECT_EQ(find_value(families, "blueshift_x_total", {{"result", "ok"}}), 1.0);
  EXPECT_EQ(find_value(families, "blueshift_x_total", {{"result", "failed"}}), 2.0);
  EXPECT_EQ(find_value(families, "blueshift_x_total"), std::nullopt);
}

TEST(Metrics, ClashingRegistrationsThrow) {
  Registry registry;
  registry.counter("blueshift_x_total", "Test.", {{"result", "ok"}});
  EXPECT_THROW(registry.gauge("blueshift_x_total", "Test."), std::logic_error);
  EXPECT_THROW(registry.counter("blueshift_x_total", "Test.", {{"outcome", "ok"}}), std::logic_error);
  registry.histogram("blueshift_h", "Test.", {1});
  EXPECT_THROW(registry.histogram("blueshift_h", "Test.", {2}), std::logic_error);
}

TEST(Metrics, InvalidNamesThrow) {
  Registry registry;
  EXPECT_THROW(registry.counter("", "Test."), std::invalid_argument);
  EXPECT_THROW(registry.counter("9lives_total", "Test."), std::invalid_argument);
  EXPECT_THROW(registry.counter("blue-shift_total", "Test."), std::invalid_argument);
  EXPECT_THROW(registry.counter("blueshift_total", "Test.", {{"a:b", "x"}}), std::invalid_argument);
  EXPECT_THROW(registry.counter("blueshift_total", "Test.", {{"__name", "x"}}), std::invalid_argument);
  EXPECT_THROW(registry.histogram("blueshift_h", "Test.", {1}, {{"le", "x"}}), std::invalid_argument);
  EXPECT_NO_THROW(registry.counter("blueshift:rule_total", "Test.", {{"le", "x"}}));
}

TEST(Metrics, LabelCardinalityIsBounded) {
  Registry registry;
  for (size_t i = 0; i < kMaxSeriesPerFamily; ++i) {
    registry.counter("blueshift_x_total", "Test.", {{"n", std::to_string(i)}});
  }
  EXPECT_THROW(registry.counter("blueshift_x_total", "Test.", {{"n", "one too many"}}), std::length_error);
  EXPECT_NO_THROW(registry.counter("blueshift_x_total", "Test.", {{"n", "0"}})) << "existing series stay reachable";
}

TEST(Metrics, CollectorsArePulledAtEachCollection) {
  Registry registry;
  registry.counter("blueshift_own_total", "Test.");
  uint64_t kept_elsewhere = 1;
  registry.add_collector([&kept_elsewhere](std::vector<Family>& out) {
    out.push_back(single("blueshift_pulled_total", "Test.", Type::Counter, static_cast<double>(kept_elsewhere)));
  });
  EXPECT_EQ(find_value(registry.collect(), "blueshift_pulled_total"), 1.0);
  kept_elsewhere = 42;
  const auto families = registry.collect();
  EXPECT_EQ(find_value(families, "blueshift_pulled_total"), 42.0);
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[0].name, "blueshift_own_total") << "own families first, then collectors'";
}

}  // namespace
}  // namespace blueshift::proxy::metrics

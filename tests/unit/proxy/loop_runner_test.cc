#include "proxy/loop_runner.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <thread>

namespace blueshift::proxy {
namespace {

long voluntary_switches() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_nvcsw;
}

// Runs a loop on this thread while another posts `posts` handlers `gap` apart, then stops it;
// returns how often the loop's thread went to sleep meanwhile.
long sleeps_while_fed(std::chrono::microseconds poll, int posts, std::chrono::microseconds gap) {
  asio::io_context loop(1);
  auto guard = asio::make_work_guard(loop);
  std::atomic<int> ran{0};
  std::thread feeder([&] {
    for (int i = 0; i < posts; ++i) {
      std::this_thread::sleep_for(gap);
      asio::post(loop, [&] { ++ran; });
    }
    asio::post(loop, [&] { loop.stop(); });
  });
  const long before = voluntary_switches();
  run_io_loop(loop, poll);
  const long slept = voluntary_switches() - before;
  feeder.join();
  EXPECT_EQ(ran.load(), posts);
  return slept;
}

TEST(LoopRunner, RunsEveryHandlerAndReturnsWhenStoppedPollingOrNot) {
  for (auto poll : {std::chrono::microseconds(0), std::chrono::microseconds(1000)}) {
    sleeps_while_fed(poll, 20, std::chrono::microseconds(100));
  }
}

TEST(LoopRunner, ReturnsWhenOutOfWork) {
  asio::io_context loop(1);
  int ran = 0;
  asio::post(loop, [&] { ++ran; });
  run_io_loop(loop, std::chrono::microseconds(1000));
  EXPECT_EQ(ran, 1);
  EXPECT_TRUE(loop.stopped());
}

TEST(LoopRunner, APollingLoopFedWithinItsWindowDoesNotSleep) {
  // Without polling the loop sleeps between messages and each one must wake it; polling
  // 20 ms, fed every 200 µs, it never has to (unless the feeder stalls that long).
  const long asleep = sleeps_while_fed(std::chrono::microseconds(0), 200, std::chrono::microseconds(200));
  const long polling = sleeps_while_fed(std::chrono::microseconds(20000), 200, std::chrono::microseconds(200));
  EXPECT_GT(asleep, 100);
  EXPECT_LT(polling, 20);
}

}  // namespace
}  // namespace blueshift::proxy

// The control plane over a real io_context and real signals: a stop signal reaches the
// shutdown callback on the main loop, and a reload (SIGHUP) and the catalog refresh run on
// the control thread while the main loop keeps serving.
#include "proxy/control_plane.h"
#include "policies/dry_run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <future>
#include <thread>

namespace blueshift::proxy {
namespace {

using namespace std::chrono_literals;

// Records on which thread reload and refresh run; reload blocks until released, as a
// catalog read over libpq may.
class RecordingGovernor : public policies::Governor {
 public:
  policies::Checked check_query(std::string_view, const policies::SessionContext&) override { return {}; }
  policies::Checked check_parse(std::string_view, const policies::SessionContext&,
                                const std::vector<uint32_t>&) override {
    return {};
  }
  policies::Verdict check_bind(const policies::PreparedCheck&, const std::vector<std::optional<std::string>>&,
                               const std::vector<int16_t>&, const policies::SessionContext&) override {
    return {};
  }
  policies::Verdict check_execute(const policies::PreparedCheck*, bool, const std::vector<policies::ExecuteArgument>&,
                                  const policies::SessionContext&) override {
    return {};
  }
  bool reload(const YAML::Node& policies, std::string*) override {
    reloaded_rule = policies["rules"][0]["name"].as<std::string>();
    if (reloads.fetch_add(1) > 0) return true;
    reload_thread.set_value(std::this_thread::get_id());
    release.get_future().wait_for(2s);  // bounded: a reload wrongly run on the main loop must not hang the test
    return true;
  }
  bool refresh_catalog(std::string*) override {
    if (!refreshed.exchange(true)) refresh_thread.set_value(std::this_thread::get_id());
    return true;
  }
  Counters counters() const override { return {}; }
  policies::DryRun dry_run(std::string_view, const policies::SessionContext&, const std::vector<uint32_t>&,
                           const std::vector<std::optional<std::string>>*, const std::vector<int16_t>&) override {
    return {};
  }
  std::vector<policies::RuleSummary> rules_for(const policies::SessionContext&) override { return {}; }
  bool governs(const policies::SessionContext&) override { return false; }
  bool needs_group_lookup(const std::string&) const override { return false; }
  void lookup_groups(const std::string&) override {}
  bool catalog_ready() const override { return true; }

  std::string reloaded_rule;
  std::atomic<int> reloads{0};
  std::promise<std::thread::id> reload_thread;
  std::promise<void> release;
  std::atomic<bool> refreshed{false};
  std::promise<std::thread::id> refresh_thread;
};

// Runs loop until done() holds (checked every 10 ms on the loop itself) or 5 s pass.
void run_until(asio::io_context& loop, const std::function<bool()>& done) {
  asio::steady_timer tick(loop);
  std::function<void()> check = [&] {
    if (done()) return loop.stop();
    tick.expires_after(10ms);
    tick.async_wait([&](const error_code&) { check(); });
  };
  check();
  loop.run_for(5s);
}

// A config file whose policies name one rule, for the reload to read.
struct PolicyFile {
  PolicyFile() {
    std::ofstream(path) << "policies:\n  rules: [{name: from-the-file, type: require_partition_filter}]\n";
  }
  ~PolicyFile() { std::remove(path.c_str()); }
  std::string path = "/tmp/blueshift_control_plane_test_" + std::to_string(::getpid()) + ".yaml";
};

TEST(ControlPlane, StopSignalCallsShutdownOnTheMainLoop) {
  asio::io_context loop(1);
  auto config = std::make_shared<Config>();
  std::thread::id shutdown_thread;
  ControlPlane control(loop, config, nullptr, [&] {
    shutdown_thread = std::this_thread::get_id();
    loop.stop();
  });
  std::raise(SIGTERM);
  loop.run_for(3s);
  EXPECT_EQ(shutdown_thread, std::this_thread::get_id());
}

TEST(ControlPlane, ReloadRunsOnTheControlThreadWhileTheMainLoopServes) {
  PolicyFile file;
  auto config = std::make_shared<Config>();
  config->source_path = file.path;
  auto governor = std::make_shared<RecordingGovernor>();
  auto reload_thread = governor->reload_thread.get_future();
  asio::io_context loop(1);
  {
    ControlPlane control(loop, config, governor, [] {});
    std::raise(SIGHUP);
    // The loop's own timer sees the reload under way: the loop runs while the reload blocks.
    bool seen_from_loop = false;
    run_until(loop, [&] { return seen_from_loop = reload_thread.wait_for(0s) == std::future_status::ready; });
    ASSERT_EQ(reload_thread.wait_for(3s), std::future_status::ready) << "SIGHUP did not reload";
    EXPECT_TRUE(seen_from_loop) << "the main loop did not run while the reload was blocked";
    EXPECT_NE(reload_thread.get(), std::this_thread::get_id());
    governor->release.set_value();
  }
  EXPECT_EQ(governor->reloaded_rule, "from-the-file");
}

TEST(ControlPlane, EverySighupReloads) {
  PolicyFile file;
  auto config = std::make_shared<Config>();
  config->source_path = file.path;
  auto governor = std::make_shared<RecordingGovernor>();
  governor->release.set_value();
  asio::io_context loop(1);
  ControlPlane control(loop, config, governor, [] {});
  for (int n = 1; n <= 3; ++n) {
    std::raise(SIGHUP);
    run_until(loop, [&] { return governor->reloads.load() == n; });
    EXPECT_EQ(governor->reloads.load(), n);
    loop.restart();
  }
}

TEST(ControlPlane, CatalogRefreshRunsOnTheControlThread) {
  auto config = std::make_shared<Config>();
  config->catalog_conninfo = "host=nowhere";
  config->catalog_refresh_seconds = 1;
  auto governor = std::make_shared<RecordingGovernor>();
  auto refresh_thread = governor->refresh_thread.get_future();
  asio::io_context loop(1);
  ControlPlane control(loop, config, governor, [] {});
  run_until(loop, [&] { return refresh_thread.wait_for(0s) == std::future_status::ready; });
  ASSERT_EQ(refresh_thread.wait_for(0s), std::future_status::ready) << "no refresh within 5 s";
  EXPECT_NE(refresh_thread.get(), std::this_thread::get_id());
}

}  // namespace
}  // namespace blueshift::proxy

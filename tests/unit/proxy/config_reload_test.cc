// What a reload may change and what takes a restart (config_reload.h).
#include "proxy/config_reload.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace blueshift::proxy {
namespace {

Config parse(const std::string& yaml) { return config_from_yaml(YAML::Load(yaml)); }

TEST(ConfigReload, RestartOnlyKeysKeepTheirRunningValues) {
  const Config running = parse("listen: 127.0.0.1:7000\nio_threads: 2\nlimits: {max_client_connections: 10}\n");
  Config fresh = parse("listen: 127.0.0.1:7001\nio_threads: 4\nlimits: {max_client_connections: 3}\n");
  const auto changed = keep_restart_only_keys(running, fresh);
  EXPECT_EQ(changed, (std::vector<std::string>{"listen", "io_threads"}));
  EXPECT_EQ(fresh.listen.port, 7000);
  EXPECT_EQ(fresh.io_threads, 2);
  EXPECT_EQ(fresh.max_client_connections, 3u) << "limits reload";
}

TEST(ConfigReload, ThePoliciesSectionCannotAppearOrGo) {
  const Config without = parse("");
  Config with = parse("policies: {rules: []}\n");
  EXPECT_EQ(keep_restart_only_keys(without, with), (std::vector<std::string>{"policies"}));
  EXPECT_FALSE(with.policies) << "no governor runs: the new section must not look applied";
  Config changed_rules = parse("policies: {rules: [], catalog_tables: true}\n");
  EXPECT_TRUE(keep_restart_only_keys(parse("policies: {rules: []}\n"), changed_rules).empty());
}

TEST(ConfigReload, BudgetsKeepTheirRunningValuesUntilARestart) {
  const Config running = parse("policies: {rules: [], budgets: {users: [{user: a, day_usd: 5}]}}\n");
  Config raised = parse("policies: {rules: [], budgets: {users: [{user: a, day_usd: 50}]}}\n");
  EXPECT_EQ(keep_restart_only_keys(running, raised), (std::vector<std::string>{"policies.budgets"}));
  EXPECT_EQ(YAML::Dump((*raised.policies)["budgets"]), YAML::Dump((*running.policies)["budgets"]))
      << "the budgets enforced are the running ones: the reloaded section must say so";
  Config added = parse("policies: {rules: [], budgets: {users: [{user: a, day_usd: 5}]}}\n");
  EXPECT_EQ(keep_restart_only_keys(parse("policies: {rules: []}\n"), added),
            (std::vector<std::string>{"policies.budgets"}));
  EXPECT_FALSE((*added.policies)["budgets"].IsDefined());
  Config other_change = parse("policies: {rules: [], catalog_tables: true, budgets: {users: []}}\n");
  EXPECT_TRUE(keep_restart_only_keys(parse("policies: {rules: [], budgets: {users: []}}\n"), other_change).empty());
  EXPECT_TRUE((*other_change.policies)["catalog_tables"].as<bool>()) << "the rest of the section reloads";
}

class TempFile {
 public:
  explicit TempFile(const std::string& text) : path_(testing::TempDir() + "reload_test.yaml") {
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ConfigReload, RereadKeepsTheCommandLineFlags) {
  TempFile file("upstream: {host: 10.0.0.1, port: 5439}\nlimits: {login_timeout_ms: 100}\n");
  Config running = load_config(file.path());
  apply_overrides(Overrides{"", "127.0.0.1:6000", "debug", -1}, running);
  std::vector<std::string> restart;
  const Config fresh = reread_config(running, &restart);
  EXPECT_EQ(fresh.upstream.to_string(), "127.0.0.1:6000") << "--upstream must survive a reload";
  EXPECT_EQ(fresh.log_level, "debug");
  EXPECT_EQ(fresh.login_timeout_ms, 100);
  EXPECT_TRUE(restart.empty());
}

TEST(ConfigReload, RereadRejectsAnInvalidFileNamingTheKey) {
  TempFile file("limits: {login_timeout_ms: 0}\n");
  const Config running = load_config(file.path());
  std::ofstream(file.path()) << "limits: {login_timeout_ms: -5}\n";
  std::vector<std::string> restart;
  try {
    (void)reread_config(running, &restart);
    FAIL() << "an invalid file was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("limits.login_timeout_ms"), std::string::npos) << e.what();
  }
  std::ofstream(file.path()) << "limits: {login_timeout: 5}\n";
  try {
    (void)reread_config(running, &restart);
    FAIL() << "an unknown key was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("'limits.login_timeout': unknown key"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace blueshift::proxy

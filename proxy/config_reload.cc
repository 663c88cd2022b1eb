// Reload rules; see config_reload.h.
#include "proxy/config_reload.h"

#include <functional>
#include <stdexcept>

namespace blueshift::proxy {
namespace {

bool same(const Endpoint& a, const Endpoint& b) { return a.host == b.host && a.port == b.port; }

bool same_peers(const std::vector<Peer>& a, const std::vector<Peer>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].id != b[i].id || !same(a[i].endpoint, b[i].endpoint)) return false;
  }
  return true;
}

// One restart-only key: whether it changed, and how to put the running value back.
struct RestartKey {
  const char* name;
  std::function<bool(const Config&, const Config&)> same;
  std::function<void(const Config&, Config&)> keep;
};

template <typename T>
RestartKey field(const char* name, T Config::*member) {
  return {name, [member](const Config& a, const Config& b) { return a.*member == b.*member; },
          [member](const Config& from, Config& to) { to.*member = from.*member; }};
}

RestartKey endpoint(const char* name, Endpoint Config::*member) {
  return {name, [member](const Config& a, const Config& b) { return same(a.*member, b.*member); },
          [member](const Config& from, Config& to) { to.*member = from.*member; }};
}

std::string budgets_text(const Config& c) {
  if (!c.policies) return "";
  const YAML::Node budgets = (*c.policies)["budgets"];
  return budgets.IsDefined() ? YAML::Dump(budgets) : "";
}

void keep_running_budgets(const Config& from, Config& to) {
  if (!to.policies) return;
  auto policies = std::make_shared<YAML::Node>(YAML::Clone(*to.policies));
  const YAML::Node running = from.policies ? (*from.policies)["budgets"] : YAML::Node();
  if (running.IsDefined()) (*policies)["budgets"] = YAML::Clone(running);
  else policies->remove("budgets");
  to.policies = std::move(policies);
}

const std::vector<RestartKey>& restart_keys() {
  static const std::vector<RestartKey> keys = {
      endpoint("listen", &Config::listen),
      endpoint("http.listen", &Config::http_listen),
      field("io_threads", &Config::io_threads),
      field("pin_io_threads", &Config::pin_io_threads),
      field("io_poll_us", &Config::io_poll_us),
      field("peer_id", &Config::peer_id),
      {"peers", [](const Config& a, const Config& b) { return same_peers(a.peers, b.peers); },
       [](const Config& from, Config& to) { to.peers = from.peers; }},
      field("upstream.tls", &Config::upstream_tls),
      field("upstream.ca_file", &Config::upstream_ca_file),
      field("log.file", &Config::log_file),
      field("log.stats_interval_seconds", &Config::stats_interval_seconds),
      field("catalog.conninfo", &Config::catalog_conninfo),
      field("catalog.refresh_seconds", &Config::catalog_refresh_seconds),
      field("audit.file", &Config::audit_file),
      // The governor exists from start-up or not at all; its rules reload, its presence not.
      {"policies", [](const Config& a, const Config& b) { return (a.policies == nullptr) == (b.policies == nullptr); },
       [](const Config& from, Config& to) {
         if (!from.policies) to.policies = nullptr;
       }},
      // Budgets are read once, at start-up (their ledger and leases are made for them): a
      // changed `policies.budgets` keeps its running value, so the log says what is enforced.
      {"policies.budgets", [](const Config& a, const Config& b) { return budgets_text(a) == budgets_text(b); },
       keep_running_budgets},
  };
  return keys;
}

}  // namespace

bool takes_restart(const std::string& key) {
  for (const RestartKey& k : restart_keys()) {
    if (key == k.name || key.rfind(std::string(k.name) + ".", 0) == 0) return true;
  }
  return false;
}

std::vector<std::string> keep_restart_only_keys(const Config& running, Config& fresh) {
  std::vector<std::string> changed;
  for (const RestartKey& key : restart_keys()) {
    if (key.same(running, fresh)) continue;
    changed.emplace_back(key.name);
    key.keep(running, fresh);
  }
  return changed;
}

Config reread_config(const Config& running, std::vector<std::string>* restart_keys) {
  if (running.source_path.empty()) throw std::runtime_error("no configuration file was given (--config)");
  Config fresh = load_config(running.source_path);
  apply_overrides(running.overrides, fresh);
  *restart_keys = keep_restart_only_keys(running, fresh);
  const auto problems = validate(fresh);
  if (!problems.empty()) {
    std::string all;
    for (const auto& p : problems) all += (all.empty() ? "" : "; ") + p;
    throw std::runtime_error(all);
  }
  return fresh;
}

}  // namespace blueshift::proxy

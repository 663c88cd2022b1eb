#include "policies/budget_settings.h"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace blueshift::policies {
namespace {

// Reads one YAML map at a path, naming the key, line and column in every error.
class MapReader {
 public:
  MapReader(const YAML::Node& node, std::string path, std::set<std::string> keys)
      : node_(node), path_(std::move(path)) {
    if (!node_.IsMap()) error(node_, path_, "expected a map");
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      if (!keys.count(key)) error(kv.first, path_ + "." + key, "unknown key");
    }
  }
  [[nodiscard]] bool has(const char* key) const { return node_[key].IsDefined() && !node_[key].IsNull(); }
  [[nodiscard]] std::string text(const char* key) const {
    const YAML::Node n = node_[key];
    if (!n.IsScalar() || n.Scalar().empty()) error(n, at(key), "expected a non-empty string");
    return n.Scalar();
  }
  [[nodiscard]] std::string choice(const char* key, const std::vector<std::string>& options) const {
    const std::string v = text(key);
    if (std::find(options.begin(), options.end(), v) == options.end()) {
      std::string list;
      for (const auto& o : options) list += (list.empty() ? "" : ", ") + o;
      error(node_[key], at(key), "expected one of " + list + "; got \"" + v + "\"");
    }
    return v;
  }
  // A number in (low, high].
  [[nodiscard]] double number(const YAML::Node& n, const std::string& path, double low, double high) const {
    double v = 0;
    try {
      v = n.as<double>();
    } catch (const YAML::Exception&) {
      error(n, path, "expected a number");
    }
    if (!(v > low && v <= high)) error(n, path, "expected a number above " + fmt(low) + " and at most " + fmt(high));
    return v;
  }
  [[nodiscard]] double number(const char* key, double low, double high) const {
    return number(node_[key], at(key), low, high);
  }
  [[nodiscard]] const YAML::Node& node() const { return node_; }
  [[nodiscard]] std::string at(const std::string& key) const { return path_ + "." + key; }

  [[noreturn]] static void error(const YAML::Node& n, const std::string& path, const std::string& what) {
    std::string where = path;
    if (n.IsDefined() && n.Mark().line >= 0)
      where += " (line " + std::to_string(n.Mark().line + 1) + ", column " + std::to_string(n.Mark().column + 1) + ")";
    throw std::runtime_error(where + ": " + what);
  }

 private:
  static std::string fmt(double v) {
    std::string s = std::to_string(v);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
  }
  YAML::Node node_;
  std::string path_;
};

Budget parse_budget(const YAML::Node& node, const std::string& path, BudgetMode default_mode) {
  const MapReader r(node, path, {"name", "user", "group", "period", "usd", "mode"});
  Budget b;
  b.name = r.text("name");
  if (r.has("user") == r.has("group")) MapReader::error(node, path, "give exactly one of user (a glob) or group");
  b.holder = r.has("user") ? Budget::Holder::User : Budget::Holder::Group;
  b.who = r.text(r.has("user") ? "user" : "group");
  b.period = r.choice("period", {"day", "month"}) == "day" ? BudgetPeriod::Day : BudgetPeriod::Month;
  b.limit_usd = r.number("usd", 0, 1e12);
  b.mode = !r.has("mode") ? default_mode
           : r.choice("mode", {"enforce", "warn"}) == "warn" ? BudgetMode::Warn
                                                              : BudgetMode::Enforce;
  return b;
}

}  // namespace

const char* to_string(BudgetPeriod period) { return period == BudgetPeriod::Day ? "day" : "month"; }

BudgetSettings parse_budget_settings(const YAML::Node& node, const std::string& path) {
  BudgetSettings s;
  if (!node.IsDefined() || node.IsNull()) return s;
  const MapReader r(node, path, {"limits", "mode", "thresholds", "ledger", "on_ledger_error", "instance", "lease"});
  const BudgetMode mode = r.has("mode") && r.choice("mode", {"enforce", "warn"}) == "warn" ? BudgetMode::Warn
                                                                                           : BudgetMode::Enforce;
  if (r.has("thresholds")) {
    const YAML::Node t = node["thresholds"];
    if (!t.IsSequence()) MapReader::error(t, r.at("thresholds"), "expected a list of shares, e.g. [0.8]");
    s.thresholds.clear();
    for (size_t i = 0; i < t.size(); ++i)
      s.thresholds.push_back(r.number(t[i], r.at("thresholds") + "[" + std::to_string(i) + "]", 0, 0.999999));
    std::sort(s.thresholds.begin(), s.thresholds.end());
  }
  if (r.has("ledger")) {
    const MapReader l(node["ledger"], r.at("ledger"), {"schema", "table"});
    if (l.has("schema")) s.ledger_schema = l.text("schema");
    if (l.has("table")) s.ledger_table = l.text("table");
  }
  if (r.has("on_ledger_error")) s.fail_open = r.choice("on_ledger_error", {"fail_closed", "fail_open"}) == "fail_open";
  if (r.has("instance")) s.instance = r.text("instance");
  if (r.has("lease")) {
    const MapReader l(node["lease"], r.at("lease"), {"share", "seconds"});
    if (l.has("share")) s.lease_share = l.number("share", 0, 1);
    if (l.has("seconds")) s.lease_seconds = static_cast<int>(l.number("seconds", 1, 86400));
  }
  if (!r.has("limits")) return s;
  const YAML::Node limits = node["limits"];
  if (!limits.IsSequence()) MapReader::error(limits, r.at("limits"), "expected a list of budgets");
  std::set<std::string> names;
  for (size_t i = 0; i < limits.size(); ++i) {
    const std::string p = r.at("limits") + "[" + std::to_string(i) + "]";
    Budget b = parse_budget(limits[i], p, mode);
    if (!names.insert(b.name).second) MapReader::error(limits[i]["name"], p + ".name", "a budget of this name exists");
    s.budgets.push_back(std::move(b));
  }
  return s;
}

}  // namespace blueshift::policies

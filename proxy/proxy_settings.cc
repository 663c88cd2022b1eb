#include "proxy/proxy_settings.h"

#include <algorithm>
#include <stdexcept>
#include <string_view>

#include "protocol/codec.h"

#ifndef BLUESHIFT_VERSION
#define BLUESHIFT_VERSION "unknown"
#endif

namespace blueshift::proxy {
namespace {

constexpr int32_t kTextOid = 25;

struct Setting {
  std::string_view name;
  std::vector<std::string_view> columns;  // SHOW's columns (one, named as the setting, for scalars)
  bool read_only;
  std::string_view default_value = {};    // writable: what SHOW says until a SET
  bool boolean = false;                   // writable: SET takes on/off/true/false/1/0/yes/no; off by default
  std::vector<std::string_view> choices = {};  // writable: SET takes one of these (any case), when listed
};

std::string lower(std::string_view v) {
  std::string out(v);
  for (char& c : out) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}
bool is_true(std::string_view v) {
  if (v.empty() || v == "off") return false;  // the defaults: asked per message, so no copy
  const std::string l = lower(v);
  return l == "on" || l == "true" || l == "1" || l == "yes";
}
bool is_boolean(std::string_view v) {
  const std::string l = lower(v);
  return is_true(l) || l == "off" || l == "false" || l == "0" || l == "no";
}

// Every blueshift.* setting the proxy knows.
const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = {
      {"blueshift.version", {"blueshift.version"}, true},
      {"blueshift.rules", {"name", "type", "mode", "tables"}, true},
      // A NOTICE with the text a routed statement runs as (rewrite/partition_filters.h).
      {"blueshift.explain_routing", {"blueshift.explain_routing"}, false, "off", true},
      // Each query answers what it would scan instead of running (proxy/dry_run.cc).
      {"blueshift.dry_run", {"blueshift.dry_run"}, false, "off", true},
      // The key of every COPY ... FROM of the session: an upsert on it (rewrite/copy_upsert.h).
      {"blueshift.copy_upsert_key", {"blueshift.copy_upsert_key"}, false, ""},
      // The session user's budgets: spent and left this period (policies/budgets.h).
      {"blueshift.spend",
       {"budget", "scope", "member", "period", "period_start", "limit_usd", "spent_usd", "left_usd", "mode"},
       true},
      // Which tier serves scans of a routed local table: auto, local, external (rewrite/tier_routing.h).
      {"blueshift.tier", {"blueshift.tier"}, false, "auto", false, {"auto", "local", "external"}},
  };
  // ProxySettings::enabled, asked per message, reads no default: every boolean one is off.
  static const bool booleans_off = [] {
    for (const Setting& s : all) {
      if (s.boolean && s.default_value != "off") throw std::logic_error("a boolean blueshift setting defaults to on");
    }
    return true;
  }();
  (void)booleans_off;
  return all;
}

const Setting* find_setting(std::string_view name) {
  for (const Setting& s : settings()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string row_description(const std::vector<std::string_view>& columns) {
  protocol::RowDescription d;
  for (const auto column : columns) {
    protocol::FieldDescription f;
    f.name = column;
    f.type_oid = kTextOid;
    f.type_size = -1;
    f.type_modifier = -1;
    d.fields.push_back(std::move(f));
  }
  std::string out;
  protocol::encode(protocol::BackendMessage{std::move(d)}, out);
  return out;
}

void append_row(const std::vector<std::string>& values, std::string& out) {
  protocol::DataRow row;
  for (const auto& v : values) row.values.emplace_back(v);
  protocol::encode(protocol::BackendMessage{std::move(row)}, out);
}

}  // namespace

protocol::ProxyError unknown_parameter(const std::string& name) {
  return protocol::ProxyError{"ERROR", "42704", "unrecognized configuration parameter \"" + name + "\"", "", ""};
}

std::variant<ProxyAnswer, protocol::ProxyError> ProxySettings::answer(const rewrite::ProxyStatement& statement,
                                                                    const Sources& sources) const {
  const Setting* setting = find_setting(statement.name);
  if (setting == nullptr) return unknown_parameter(statement.name);
  ProxyAnswer a;
  if (statement.action != rewrite::ProxyStatement::Action::Show) {
    if (setting->read_only)
      return protocol::ProxyError{"ERROR", "55P02", "parameter \"" + statement.name + "\" cannot be changed", "", ""};
    if (setting->boolean && statement.action == rewrite::ProxyStatement::Action::Set && !statement.to_default &&
        !is_boolean(statement.value)) {
      return protocol::ProxyError{"ERROR", "22023", "parameter \"" + statement.name + "\" requires a Boolean value",
                                  "", ""};
    }
    if (!setting->choices.empty() && statement.action == rewrite::ProxyStatement::Action::Set && !statement.to_default &&
        std::find(setting->choices.begin(), setting->choices.end(), lower(statement.value)) == setting->choices.end()) {
      return protocol::ProxyError{"ERROR", "22023",
                                  "invalid value for parameter \"" + statement.name + "\": \"" + statement.value + "\"",
                                  "", ""};
    }
    a.tag = statement.action == rewrite::ProxyStatement::Action::Set ? "SET" : "RESET";
    return a;
  }
  a.row_description = row_description(setting->columns);
  a.tag = "SHOW";
  if (setting->name == "blueshift.version") {
    append_row({BLUESHIFT_VERSION}, a.rows);
  } else if (setting->name == "blueshift.rules") {
    if (sources.rules) {
      for (const auto& rule : sources.rules()) append_row({rule[0], rule[1], rule[2], rule[3]}, a.rows);
    }
  } else if (setting->name == "blueshift.spend") {
    if (sources.spend) {
      for (const auto& row : sources.spend()) append_row(row, a.rows);
    }
  } else {
    append_row({value(setting->name)}, a.rows);
  }
  return a;
}

std::string ProxySettings::value(std::string_view name) const { return std::string(view(name)); }

std::string_view ProxySettings::view(std::string_view name) const {
  if (!values_.empty()) {
    if (const auto it = values_.find(name); it != values_.end()) return it->second;
  }
  const Setting* setting = find_setting(name);
  return setting != nullptr ? setting->default_value : std::string_view();
}

bool ProxySettings::enabled(std::string_view name) const {
  if (values_.empty()) return false;  // every boolean setting is off until a SET (settings())
  const auto it = values_.find(name);
  return it != values_.end() && is_true(it->second);
}

void ProxySettings::apply(const rewrite::ProxyStatement& statement) {
  const Setting* setting = find_setting(statement.name);
  // A SHOW changes nothing (it used to fall through to the RESET branch and clear the setting).
  if (setting == nullptr || setting->read_only || statement.action == rewrite::ProxyStatement::Action::Show) return;
  if (statement.action == rewrite::ProxyStatement::Action::Set && !statement.to_default) {
    values_[std::string(setting->name)] = statement.value;
  } else {
    values_.erase(std::string(setting->name));
  }
}

}  // namespace blueshift::proxy

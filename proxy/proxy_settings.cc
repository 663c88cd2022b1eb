#include "proxy/proxy_settings.h"

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
};

// Every blueshift.* setting the proxy knows.
const std::vector<Setting>& settings() {
  static const std::vector<Setting> all = {
      {"blueshift.version", {"blueshift.version"}, true},
      {"blueshift.rules", {"name", "type", "mode", "tables"}, true},
  };
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

std::variant<ProxyAnswer, protocol::ProxyError> ProxySettings::answer(const rewrite::ProxyStatement& statement) const {
  const Setting* setting = find_setting(statement.name);
  if (setting == nullptr) return unknown_parameter(statement.name);
  ProxyAnswer a;
  if (statement.action != rewrite::ProxyStatement::Action::Show) {
    if (setting->read_only)
      return protocol::ProxyError{"ERROR", "55P02", "parameter \"" + statement.name + "\" cannot be changed", "", ""};
    a.tag = statement.action == rewrite::ProxyStatement::Action::Set ? "SET" : "RESET";
    return a;
  }
  a.row_description = row_description(setting->columns);
  a.tag = "SHOW";
  if (setting->name == "blueshift.version") {
    append_row({BLUESHIFT_VERSION}, a.rows);
  } else if (setting->name == "blueshift.rules") {
    if (rules_) {
      for (const auto& rule : rules_()) append_row({rule[0], rule[1], rule[2], rule[3]}, a.rows);
    }
  } else if (const auto it = values_.find(setting->name); it != values_.end()) {
    append_row({it->second}, a.rows);
  }
  return a;
}

void ProxySettings::apply(const rewrite::ProxyStatement& statement) {
  const Setting* setting = find_setting(statement.name);
  if (setting == nullptr || setting->read_only) return;
  if (statement.action == rewrite::ProxyStatement::Action::Set && !statement.to_default) {
    values_[std::string(setting->name)] = statement.value;
  } else {
    values_.erase(std::string(setting->name));
  }
}

}  // namespace blueshift::proxy

// Staging table names in a staged upsert's error mapped to the target's (stage_error.h).
#include "proxy/stage_error.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace blueshift::proxy {
namespace {

// "Failing row contains (a, b, n)." -> "Failing row contains (a, b).": n is the staging
// table's last column, a row number (1 up); nothing else has that shape's ending.
bool drop_row_number(std::string& detail) {
  constexpr std::string_view head = "Failing row contains (", tail = ").";
  if (!detail.starts_with(head) || !detail.ends_with(tail)) return false;
  const size_t end = detail.size() - tail.size();
  size_t digits = end;
  while (digits > head.size() && std::isdigit(static_cast<unsigned char>(detail[digits - 1]))) --digits;
  const bool number = digits < end && detail[digits] != '0';
  if (!number || digits < head.size() + 2 || detail.compare(digits - 2, 2, ", ") != 0) return false;
  detail.erase(digits - 2, end - digits + 2);
  return true;
}

}  // namespace

bool name_target(const rewrite::Plan::Staging& staging, protocol::NoticeFields& error) {
  const std::string stage = "relation \"" + staging.stage + "\"";
  auto field = [&](char code) {
    return std::find_if(error.fields.begin(), error.fields.end(), [&](const auto& f) { return f.first == code; });
  };
  const auto message = field('M');
  const auto table = field('t');
  const bool in_message = message != error.fields.end() && message->second.find(stage) != std::string::npos;
  const bool in_table = table != error.fields.end() && table->second == staging.stage;
  if (!in_message && !in_table) return false;
  if (in_message) {
    message->second.replace(message->second.find(stage), stage.size(), "relation \"" + staging.table + "\"");
  }
  if (in_table) table->second = staging.table;
  if (const auto schema = field('s'); in_table && schema != error.fields.end()) {
    if (staging.schema.empty()) {
      error.fields.erase(schema);
    } else {
      schema->second = staging.schema;
    }
  }
  if (const auto detail = field('D'); detail != error.fields.end()) drop_row_number(detail->second);
  return true;
}

}  // namespace blueshift::proxy

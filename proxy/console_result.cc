// Console result sets; see console_result.h.
#include "proxy/console_result.h"

#include "protocol/codec.h"

namespace blueshift::proxy {
namespace {

// PostgreSQL's type oids and sizes for the three kinds of column.
constexpr int32_t kTextOid = 25, kInt8Oid = 20, kFloat8Oid = 701;

protocol::FieldDescription field(const ConsoleResult::Column& c) {
  protocol::FieldDescription f;
  f.name = c.name;
  f.type_modifier = -1;
  switch (c.type) {
    case ConsoleResult::Type::Text: f.type_oid = kTextOid, f.type_size = -1; break;
    case ConsoleResult::Type::Int: f.type_oid = kInt8Oid, f.type_size = 8; break;
    case ConsoleResult::Type::Float: f.type_oid = kFloat8Oid, f.type_size = 8; break;
  }
  return f;
}

}  // namespace

void ConsoleResult::add(std::vector<std::optional<std::string>> values) {
  values.resize(columns_.size());
  rows_.push_back(std::move(values));
}

std::string ConsoleResult::encode(std::string_view tag) const {
  std::string out;
  protocol::RowDescription description;
  for (const Column& c : columns_) description.fields.push_back(field(c));
  protocol::encode(protocol::BackendMessage{std::move(description)}, out);
  for (const auto& row : rows_) protocol::encode(protocol::BackendMessage{protocol::DataRow{row}}, out);
  out += encode_command_complete(tag);
  return out;
}

std::string encode_command_complete(std::string_view tag) {
  std::string out;
  protocol::encode(protocol::BackendMessage{protocol::CommandComplete{std::string(tag)}}, out);
  return out;
}

}  // namespace blueshift::proxy

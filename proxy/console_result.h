// A result set the admin console writes, as psql shows a table: RowDescription, DataRows,
// CommandComplete. Numbers are typed (int8, float8) so psql aligns them as numbers. Asio-free.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace blueshift::proxy {

class ConsoleResult {
 public:
  enum class Type { Text, Int, Float };
  struct Column {
    std::string name;
    Type type = Type::Text;
  };
  explicit ConsoleResult(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // One row, one value a column, as text (null: SQL NULL).
  void add(std::vector<std::optional<std::string>> values);
  [[nodiscard]] size_t rows() const { return rows_.size(); }
  // The encoded messages, ending with CommandComplete `tag` ("SHOW").
  [[nodiscard]] std::string encode(std::string_view tag) const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::optional<std::string>>> rows_;
};

// The encoded CommandComplete alone, for commands without rows ("RELOAD", "PAUSE").
[[nodiscard]] std::string encode_command_complete(std::string_view tag);

}  // namespace blueshift::proxy

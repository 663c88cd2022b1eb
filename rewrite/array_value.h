// PostgreSQL array values as they reach the proxy: the text form of an array literal in
// SQL ('{2023,2024}') or in a text-format Bind parameter, and the binary form
// (array_send) of a binary-format Bind parameter. Only what `col = ANY(...)` needs: the
// elements, flattened in storage order, each still in its element type's own format.
//
// This reads a value format, not SQL: the SQL around it comes from the parse tree.
// Anything the server itself would reject, or that is not worth guessing at, is
// unreadable (nullopt); callers then bound nothing from it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace blueshift::rewrite {

// Arrays with more elements are treated as unreadable: a bound that long restricts no
// partition column in practice, and keeping it would cost every later match.
inline constexpr size_t kMaxArrayElements = 10000;

// Element texts (text form) or bytes (binary form); nullopt = a NULL element.
using ArrayElements = std::vector<std::optional<std::string>>;

// array_in's syntax: optional dimension decoration ("[1:2]="), then braces, nested for
// more dimensions; elements separated by ',', double-quoted or bare, backslash escapes,
// bare NULL (any case) for a NULL element, white space around elements ignored.
[[nodiscard]] std::optional<ArrayElements> parse_array_text(std::string_view text);

struct BinaryArray {
  uint32_t element_type = 0;  // the element type's oid, as the header states it
  ArrayElements elements;
};
// array_send's layout: ndim, has-null flag, element oid, (size, lower bound) per
// dimension, then each element as a 4-byte length (-1 = NULL) and its bytes.
[[nodiscard]] std::optional<BinaryArray> parse_array_binary(std::string_view bytes);

// The element type of a built-in array type (1007 int4[] -> 23), 0 when not known.
[[nodiscard]] uint32_t array_element_type(uint32_t array_type);

}  // namespace blueshift::rewrite

#include "protocol/peek.h"

#include <cstring>

#include "protocol/cursor.h"

namespace blueshift::protocol {

namespace {

// The NUL-terminated string at *at, advancing past it; false when no NUL is left. A plain
// memchr rather than a Cursor: this runs on several messages of every transaction.
bool next_cstring(std::span<const uint8_t> body, size_t* at, std::string_view* out) {
  if (*at >= body.size()) return false;
  const auto* start = body.data() + *at;
  const auto* nul = static_cast<const uint8_t*>(std::memchr(start, 0, body.size() - *at));
  if (nul == nullptr) return false;
  *out = std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(nul - start));
  *at += out->size() + 1;
  return true;
}

}  // namespace

std::optional<LeadingNames> leading_names(char code, std::span<const uint8_t> body) {
  LeadingNames n;
  size_t at = 0;
  switch (code) {
    case 'Q':
    case 'E':
      if (!next_cstring(body, &at, &n.first)) return std::nullopt;
      return n;
    case 'P':
    case 'B':
      if (!next_cstring(body, &at, &n.first) || !next_cstring(body, &at, &n.second)) return std::nullopt;
      return n;
    case 'D':
    case 'C':
      if (body.empty()) return std::nullopt;
      n.kind = static_cast<char>(body[0]);
      at = 1;
      if ((n.kind != 'S' && n.kind != 'P') || !next_cstring(body, &at, &n.first)) return std::nullopt;
      return n;
    default:
      return std::nullopt;
  }
}

std::optional<int32_t> startup_code(std::span<const uint8_t> body) {
  Cursor c(body, "startup packet");
  int32_t code = 0;
  if (!c.i32(code)) return std::nullopt;
  return code;
}

}  // namespace blueshift::protocol

#include "protocol/peek.h"

#include "protocol/cursor.h"

namespace blueshift::protocol {

std::optional<LeadingNames> leading_names(char code, std::span<const uint8_t> body) {
  Cursor c(body, "message");
  LeadingNames n;
  switch (code) {
    case 'Q':
      if (!c.cstring(n.first)) return std::nullopt;
      return n;
    case 'P':
    case 'B':
      if (!c.cstring(n.first) || !c.cstring(n.second)) return std::nullopt;
      return n;
    case 'D':
    case 'C':
      if (!c.byte(n.kind) || (n.kind != 'S' && n.kind != 'P') || !c.cstring(n.first)) return std::nullopt;
      return n;
    case 'E':
      if (!c.cstring(n.first)) return std::nullopt;
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

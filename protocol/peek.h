// Zero-copy reads of the leading fields of the frontend messages the proxy looks at on
// every message (statement and portal names, the Query text), so the fast path neither
// copies nor decodes the rest (a Bind's parameter values). decode_frontend reads the
// whole message when the proxy needs more.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace blueshift::protocol {

struct LeadingNames {
  char kind = 0;            // Describe/Close: 'S' or 'P'
  std::string_view first;   // Parse: statement; Bind: portal; Describe/Close: name; Execute: portal; Query: text
  std::string_view second;  // Parse: query text; Bind: statement
};

// For codes 'Q', 'P', 'B', 'D', 'C', 'E'; nullopt when the body is malformed there (the
// full decoder then says why) or for another code.
[[nodiscard]] std::optional<LeadingNames> leading_names(char code, std::span<const uint8_t> body);

// The request code a startup-phase packet body starts with (protocol version, SSLRequest,
// CancelRequest, ...); nullopt when the body is shorter than that.
[[nodiscard]] std::optional<int32_t> startup_code(std::span<const uint8_t> body);

}  // namespace blueshift::protocol

// IPv4 and IPv6 networks written as CIDR ("10.0.0.0/8", "fd00::/8", "192.0.2.7"), and
// whether a client's textual address lies in one of them. Used by the listener's PROXY
// protocol trust (proxy_protocol.trusted) and by the client_addresses scope of rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace blueshift::policies {

// An IPv4 or IPv6 network, "10.0.0.0/8", "fd00::/8" or one address ("192.0.2.7").
struct Cidr {
  std::vector<uint8_t> network;  // 4 or 16 bytes
  int prefix = 0;
};
[[nodiscard]] std::optional<Cidr> parse_cidr(std::string_view text);
// address: textual IPv4 or IPv6 (an IPv4-mapped IPv6 address matches IPv4 networks).
[[nodiscard]] bool in_networks(const std::vector<Cidr>& networks, const std::string& address);
// Whether address is a textual IPv4 or IPv6 address ("unknown" is not).
[[nodiscard]] bool is_address(const std::string& address);

}  // namespace blueshift::policies

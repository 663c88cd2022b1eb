// CIDR networks and address matching; see networks.h.
#include "policies/networks.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace blueshift::policies {
namespace {

bool matches(const Cidr& cidr, const uint8_t* address) {
  const int whole = cidr.prefix / 8;
  if (std::memcmp(cidr.network.data(), address, static_cast<size_t>(whole)) != 0) return false;
  const int rest = cidr.prefix % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (cidr.network[static_cast<size_t>(whole)] & mask) == (address[whole] & mask);
}

}  // namespace

std::optional<Cidr> parse_cidr(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  Cidr cidr;
  uint8_t bytes[16];
  if (inet_pton(AF_INET, address.c_str(), bytes) == 1) {
    cidr.network.assign(bytes, bytes + 4);
  } else if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    cidr.network.assign(bytes, bytes + 16);
  } else {
    return std::nullopt;
  }
  const int bits = static_cast<int>(cidr.network.size() * 8);
  cidr.prefix = bits;
  if (slash != std::string_view::npos) {
    const std::string_view prefix = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(prefix.data(), prefix.data() + prefix.size(), cidr.prefix);
    if (ec != std::errc() || end != prefix.data() + prefix.size() || prefix.empty() || cidr.prefix < 0 ||
        cidr.prefix > bits)
      return std::nullopt;
  }
  return cidr;
}

bool in_networks(const std::vector<Cidr>& networks, const std::string& address) {
  uint8_t v4[4];
  uint8_t v6[16];
  const bool is_v4 = inet_pton(AF_INET, address.c_str(), v4) == 1;
  const bool is_v6 = !is_v4 && inet_pton(AF_INET6, address.c_str(), v6) == 1;
  // ::ffff:a.b.c.d is the IPv4 client a dual-stack socket reports.
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  const bool mapped = is_v6 && std::memcmp(v6, kMapped, sizeof kMapped) == 0;
  for (const Cidr& cidr : networks) {
    if (cidr.network.size() == 4 && (is_v4 || mapped) && matches(cidr, is_v4 ? v4 : v6 + 12)) return true;
    if (cidr.network.size() == 16 && is_v6 && matches(cidr, v6)) return true;
  }
  return false;
}

bool is_address(const std::string& address) {
  uint8_t bytes[16];
  return inet_pton(AF_INET, address.c_str(), bytes) == 1 || inet_pton(AF_INET6, address.c_str(), bytes) == 1;
}

}  // namespace blueshift::policies

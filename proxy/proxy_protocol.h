// The PROXY protocol header a load balancer (HAProxy, AWS NLB) sends before the client's
// first byte, carrying the client's real address: version 1 (one text line) and version 2
// (binary). Parsed from the connection's first bytes, Asio-free. Which peers may send one,
// and whether they must, is the listener's trust setting (proxy_protocol.trusted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "policies/networks.h"

namespace blueshift::proxy {

struct ProxyHeader {
  // LOCAL (v2) or UNKNOWN (v1): the balancer speaking for itself (a health check); the
  // connection's own address stands.
  bool local = false;
  std::string source_address;  // textual IPv4 or IPv6
  uint16_t source_port = 0;
};

struct ProxyHeaderParse {
  enum class Status { Complete, NeedMore, Absent, Invalid };
  Status status = Status::NeedMore;
  size_t consumed = 0;  // Complete: the header's length
  ProxyHeader header;   // Complete
  std::string error;    // Invalid
};

// Longest header accepted: v1's own limit is 107 bytes; v2's TLVs (NLB's VPC endpoint id,
// HAProxy's SSL details) stay far below this.
inline constexpr size_t kMaxProxyHeaderSize = 4096;

// Absent as soon as the bytes cannot begin a header (a startup packet, an SSLRequest).
[[nodiscard]] ProxyHeaderParse parse_proxy_header(std::span<const uint8_t> bytes);

// Trusted networks are written as CIDR (policies/networks.h).
using policies::Cidr;
using policies::in_networks;
using policies::parse_cidr;

}  // namespace blueshift::proxy

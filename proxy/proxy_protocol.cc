// PROXY protocol headers and trusted networks; see proxy_protocol.h.
#include "proxy/proxy_protocol.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace blueshift::proxy {
namespace {

using Status = ProxyHeaderParse::Status;

constexpr std::string_view kV1Prefix = "PROXY ";
constexpr size_t kV1MaxSize = 107;
constexpr std::array<uint8_t, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                  0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr size_t kV2FixedSize = 16;

ProxyHeaderParse invalid(std::string why) {
  ProxyHeaderParse p;
  p.status = Status::Invalid;
  p.error = std::move(why);
  return p;
}

// Whether bytes are a prefix of (or begin with) signature.
bool starts_like(std::span<const uint8_t> bytes, std::span<const uint8_t> signature) {
  const size_t n = std::min(bytes.size(), signature.size());
  return std::equal(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n), signature.begin());
}

std::optional<std::string> address_text(int family, const uint8_t* bytes) {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, bytes, text, sizeof text) == nullptr) return std::nullopt;
  return std::string(text);
}

bool valid_address(const std::string& text, bool v6) {
  uint8_t out[16];
  return inet_pton(v6 ? AF_INET6 : AF_INET, text.c_str(), out) == 1;
}

std::optional<uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > 65535) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;  // the specification forbids leading zeros
  return static_cast<uint16_t>(value);
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= line.size()) {
    const size_t space = line.find(' ', start);
    parts.push_back(line.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return parts;
}

// "PROXY TCP4 192.0.2.1 198.51.100.1 56324 5439\r\n" or "PROXY UNKNOWN ...\r\n".
ProxyHeaderParse parse_v1(std::string_view text) {
  const size_t end = text.find("\r\n");
  if (end == std::string_view::npos) {
    if (text.size() >= kV1MaxSize) return invalid("v1 header without CRLF within 107 bytes");
    return {};
  }
  const auto parts = split(text.substr(0, end));
  ProxyHeaderParse p;
  p.status = Status::Complete;
  p.consumed = end + 2;
  if (parts.size() >= 2 && parts[1] == "UNKNOWN") {
    p.header.local = true;
    return p;
  }
  if (parts.size() != 6 || (parts[1] != "TCP4" && parts[1] != "TCP6"))
    return invalid("v1 header is not 'PROXY TCP4|TCP6 SRC DST SPORT DPORT'");
  const bool v6 = parts[1] == "TCP6";
  p.header.source_address = std::string(parts[2]);
  const auto sport = parse_port(parts[4]);
  if (!valid_address(p.header.source_address, v6) || !valid_address(std::string(parts[3]), v6) || !sport ||
      !parse_port(parts[5]))
    return invalid("v1 header with a bad address or port");
  p.header.source_port = *sport;
  return p;
}

ProxyHeaderParse parse_v2(std::span<const uint8_t> bytes) {
  if (bytes.size() < kV2FixedSize) return {};
  const uint8_t version_command = bytes[12];
  const uint8_t family = bytes[13];
  const size_t length = (size_t{bytes[14]} << 8) | bytes[15];
  if ((version_command >> 4) != 2) return invalid("v2 header with version " + std::to_string(version_command >> 4));
  const uint8_t command = version_command & 0x0F;
  if (command > 1) return invalid("v2 header with an unknown command");
  if (kV2FixedSize + length > kMaxProxyHeaderSize) return invalid("v2 header longer than 4096 bytes");
  if (bytes.size() < kV2FixedSize + length) return {};
  ProxyHeaderParse p;
  p.status = Status::Complete;
  p.consumed = kV2FixedSize + length;
  const uint8_t* addresses = bytes.data() + kV2FixedSize;
  if (command == 0) {  // LOCAL: whatever follows is ignored
    p.header.local = true;
    return p;
  }
  const uint8_t address_family = family >> 4;
  const uint8_t transport = family & 0x0F;
  if (transport != 1) return invalid("v2 header for a transport other than TCP");
  const size_t need = address_family == 1 ? 12 : address_family == 2 ? 36 : 0;
  if (need == 0) return invalid("v2 header with an address family other than IPv4 or IPv6");
  if (length < need) return invalid("v2 header too short for its addresses");
  const size_t size = address_family == 1 ? 4 : 16;
  auto text = address_text(address_family == 1 ? AF_INET : AF_INET6, addresses);
  if (!text) return invalid("v2 header with a bad address");
  p.header.source_address = *text;
  p.header.source_port = static_cast<uint16_t>((addresses[2 * size] << 8) | addresses[2 * size + 1]);
  return p;
}

}  // namespace

ProxyHeaderParse parse_proxy_header(std::span<const uint8_t> bytes) {
  const std::span<const uint8_t> v1_prefix(reinterpret_cast<const uint8_t*>(kV1Prefix.data()), kV1Prefix.size());
  if (bytes.empty()) return {};
  if (starts_like(bytes, kV2Signature)) {
    return bytes.size() < kV2Signature.size() ? ProxyHeaderParse{} : parse_v2(bytes);
  }
  if (starts_like(bytes, v1_prefix)) {
    if (bytes.size() < v1_prefix.size()) return {};
    return parse_v1(std::string_view(reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), kV1MaxSize)));
  }
  ProxyHeaderParse absent;
  absent.status = Status::Absent;
  return absent;
}

}  // namespace blueshift::proxy

// PROXY protocol headers (v1 text, v2 binary) and trusted networks, byte by byte.
#include "proxy/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace blueshift::proxy {
namespace {

using Status = ProxyHeaderParse::Status;

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

const std::string kSignature("\r\n\r\n\0\r\nQUIT\n", 12);

std::string v2(uint8_t command, uint8_t family, const std::string& addresses) {
  std::string out = kSignature;
  out += static_cast<char>(0x20 | command);
  out += static_cast<char>(family);
  out += static_cast<char>(addresses.size() >> 8);
  out += static_cast<char>(addresses.size() & 0xFF);
  return out + addresses;
}

// 203.0.113.9:50000 -> 10.0.0.1:5439, then a TLV (type 0x04 NOOP, 3 bytes).
std::string v2_ipv4_with_tlv() {
  const std::string a("\xCB\x00\x71\x09" "\x0A\x00\x00\x01" "\xC3\x50" "\x15\x3F" "\x04\x00\x03xyz", 18);
  return v2(1, 0x11, a);
}

TEST(ProxyProtocol, V1Tcp4) {
  const std::string header = "PROXY TCP4 192.0.2.7 10.0.0.1 56324 5439\r\n";
  const auto p = parse_proxy_header(bytes(header + "\x00\x00\x00\x08rest"));
  ASSERT_EQ(p.status, Status::Complete) << p.error;
  EXPECT_EQ(p.consumed, header.size());
  EXPECT_EQ(p.header.source_address, "192.0.2.7");
  EXPECT_EQ(p.header.source_port, 56324);
  EXPECT_FALSE(p.header.local);
}

TEST(ProxyProtocol, V1Tcp6AndUnknown) {
  const auto p = parse_proxy_header(bytes("PROXY TCP6 2001:db8::1 2001:db8::2 4000 5439\r\n"));
  ASSERT_EQ(p.status, Status::Complete) << p.error;
  EXPECT_EQ(p.header.source_address, "2001:db8::1");
  const auto unknown = parse_proxy_header(bytes("PROXY UNKNOWN\r\n"));
  ASSERT_EQ(unknown.status, Status::Complete);
  EXPECT_TRUE(unknown.header.local);
}

TEST(ProxyProtocol, V2Ipv4WithTlvs) {
  const std::string header = v2_ipv4_with_tlv();
  const auto p = parse_proxy_header(bytes(header + "startup"));
  ASSERT_EQ(p.status, Status::Complete) << p.error;
  EXPECT_EQ(p.consumed, header.size()) << "the TLVs belong to the header";
  EXPECT_EQ(p.header.source_address, "203.0.113.9");
  EXPECT_EQ(p.header.source_port, 50000);
}

TEST(ProxyProtocol, V2Ipv6AndLocal) {
  std::string a(36, '\0');
  a[0] = '\x20';
  a[1] = '\x01';
  a[15] = '\x05';  // 2001::5
  a[32] = '\x01';
  a[33] = '\x02';  // port 258
  const auto p = parse_proxy_header(bytes(v2(1, 0x21, a)));
  ASSERT_EQ(p.status, Status::Complete) << p.error;
  EXPECT_EQ(p.header.source_address, "2001::5");
  EXPECT_EQ(p.header.source_port, 258);
  const auto local = parse_proxy_header(bytes(v2(0, 0x00, "")));
  ASSERT_EQ(local.status, Status::Complete);
  EXPECT_TRUE(local.header.local);
}

// Split anywhere, a header needs more bytes; it is never complete early.
TEST(ProxyProtocol, EveryPrefixNeedsMore) {
  for (const std::string& header : {std::string("PROXY TCP4 192.0.2.7 10.0.0.1 56324 5439\r\n"), v2_ipv4_with_tlv()}) {
    for (size_t n = 1; n < header.size(); ++n) {
      EXPECT_EQ(parse_proxy_header(bytes(header.substr(0, n))).status, Status::NeedMore) << n;
    }
  }
}

TEST(ProxyProtocol, AbsentForWhatAClientSendsFirst) {
  const std::string startup("\x00\x00\x00\x08\x04\xD2\x16\x2F", 8);  // SSLRequest
  EXPECT_EQ(parse_proxy_header(bytes(startup)).status, Status::Absent);
  EXPECT_EQ(parse_proxy_header(bytes("GET / HTTP/1.1\r\n")).status, Status::Absent);
  EXPECT_EQ(parse_proxy_header(bytes("PROXZ")).status, Status::Absent);
}

TEST(ProxyProtocol, InvalidHeaders) {
  const char* v1_bad[] = {
      "PROXY TCP4 192.0.2.7 10.0.0.1 56324\r\n",            // a field missing
      "PROXY TCP4 192.0.2.777 10.0.0.1 56324 5439\r\n",     // a bad address
      "PROXY TCP4 2001:db8::1 10.0.0.1 56324 5439\r\n",     // v6 in TCP4
      "PROXY TCP4 192.0.2.7 10.0.0.1 65536 5439\r\n",       // a port too large
      "PROXY TCP4 192.0.2.7 10.0.0.1 056324 5439\r\n",      // a leading zero
      "PROXY UDP4 192.0.2.7 10.0.0.1 56324 5439\r\n",
  };
  for (const char* h : v1_bad) EXPECT_EQ(parse_proxy_header(bytes(h)).status, Status::Invalid) << h;
  EXPECT_EQ(parse_proxy_header(bytes("PROXY " + std::string(120, 'x'))).status, Status::Invalid) << "no CRLF";
  EXPECT_EQ(parse_proxy_header(bytes(v2(1, 0x11, "short"))).status, Status::Invalid);
  EXPECT_EQ(parse_proxy_header(bytes(v2(1, 0x12, std::string(12, 'a')))).status, Status::Invalid) << "UDP";
  EXPECT_EQ(parse_proxy_header(bytes(v2(2, 0x11, std::string(12, 'a')))).status, Status::Invalid) << "command 2";
  std::string wrong_version = v2(1, 0x11, std::string(12, 'a'));
  wrong_version[12] = '\x11';
  EXPECT_EQ(parse_proxy_header(bytes(wrong_version)).status, Status::Invalid);
  std::string huge = kSignature + "\x21\x11\xFF\xFF";
  EXPECT_EQ(parse_proxy_header(bytes(huge)).status, Status::Invalid) << "a length over the limit";
}

}  // namespace
}  // namespace blueshift::proxy

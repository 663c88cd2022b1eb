// CIDR networks (policies/networks.h): parsing, and matching IPv4, IPv6 and IPv4-mapped
// client addresses, as proxy_protocol.trusted and the client_addresses scope use them.
#include "policies/networks.h"

#include <gtest/gtest.h>

namespace blueshift::policies {
namespace {

std::vector<Cidr> networks(std::initializer_list<const char*> texts) {
  std::vector<Cidr> out;
  for (const char* text : texts) {
    auto cidr = parse_cidr(text);
    EXPECT_TRUE(cidr) << text;
    if (cidr) out.push_back(*cidr);
  }
  return out;
}

TEST(Networks, Matching) {
  const auto trusted = networks({"10.0.0.0/8", "192.0.2.7", "fd00::/8", "172.16.0.0/12"});
  EXPECT_TRUE(in_networks(trusted, "10.200.1.2"));
  EXPECT_TRUE(in_networks(trusted, "192.0.2.7"));
  EXPECT_FALSE(in_networks(trusted, "192.0.2.8"));
  EXPECT_TRUE(in_networks(trusted, "172.31.255.255"));
  EXPECT_FALSE(in_networks(trusted, "172.32.0.1"));
  EXPECT_TRUE(in_networks(trusted, "fd12::1"));
  EXPECT_FALSE(in_networks(trusted, "fe80::1"));
  EXPECT_TRUE(in_networks(trusted, "::ffff:10.1.1.1")) << "an IPv4-mapped address";
  EXPECT_FALSE(in_networks(trusted, "unknown"));
  EXPECT_FALSE(in_networks({}, "10.0.0.1"));
}

TEST(Networks, PrefixBitsInsideAByte) {
  const auto net = networks({"127.0.0.0/31", "2001:db8::/33"});
  EXPECT_TRUE(in_networks(net, "127.0.0.1"));
  EXPECT_FALSE(in_networks(net, "127.0.0.2"));
  EXPECT_TRUE(in_networks(net, "2001:db8:7fff::1"));
  EXPECT_FALSE(in_networks(net, "2001:db8:8000::1"));
  EXPECT_TRUE(in_networks(networks({"0.0.0.0/0"}), "203.0.113.9")) << "a zero prefix is every address";
}

TEST(Networks, RefusesWhatIsNotANetwork) {
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "fd00::/129", "", "10.0.0.0/", "host", "10.0.0.0/8x",
                          "10.0.0.0/-1"}) {
    EXPECT_FALSE(parse_cidr(bad)) << bad;
  }
}

TEST(Networks, IsAddress) {
  EXPECT_TRUE(is_address("127.0.0.2"));
  EXPECT_TRUE(is_address("::1"));
  EXPECT_FALSE(is_address("unknown"));
  EXPECT_FALSE(is_address(""));
}

}  // namespace
}  // namespace blueshift::policies

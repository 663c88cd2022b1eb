#include "proxy/config.h"

#include <gtest/gtest.h>

#include <string>

namespace blueshift::proxy {
namespace {

Config parse(const std::string& yaml) { return config_from_yaml(YAML::Load(yaml)); }

TEST(Config, Defaults) {
  const Config c = parse("");
  EXPECT_EQ(c.listen.to_string(), "127.0.0.1:5439");
  EXPECT_EQ(c.upstream.to_string(), "127.0.0.1:5440");
  EXPECT_EQ(c.upstream_tls, UpstreamTls::Disable);
  EXPECT_FALSE(c.policies);
  EXPECT_FALSE(c.pin_io_threads);
  EXPECT_FALSE(c.unpin_when_crowded);
  EXPECT_EQ(c.io_poll_us, 0);
  EXPECT_TRUE(validate(c).empty());
}

TEST(Config, ReadsEveryKey) {
  const Config c = parse(R"(
listen: 0.0.0.0:6000
upstream: {host: example-cluster.local, port: 5439, tls: require, connect_timeout_ms: 2500, read_timeout_ms: 40}
limits: {max_client_connections: 7, max_message_size: 2048, login_timeout_ms: 100, idle_client_timeout_ms: 900,
         query_timeout_ms: 30, max_buffered_bytes: 4096, max_unauthenticated_connections: 11,
         max_unauthenticated_per_address: 3, handshake_timeout_ms: 70, offload_analysis_bytes: 512}
io_threads: 3
pin_io_threads: true
unpin_when_crowded: true
io_poll_us: 50
log: {level: debug, stats_interval_seconds: 5}
catalog: {conninfo: "host=x", refresh_seconds: 60}
audit: {file: /tmp/audit.jsonl}
policies: {rules: []}
)");
  EXPECT_EQ(c.listen.host, "0.0.0.0");
  EXPECT_EQ(c.listen.port, 6000);
  EXPECT_EQ(c.upstream.host, "example-cluster.local");
  EXPECT_EQ(c.upstream.port, 5439);
  EXPECT_EQ(c.upstream_tls, UpstreamTls::Require);
  EXPECT_EQ(c.connect_timeout_ms, 2500);
  EXPECT_EQ(c.max_client_connections, 7u);
  EXPECT_EQ(c.max_message_size, 2048u);
  EXPECT_EQ(c.login_timeout_ms, 100);
  EXPECT_EQ(c.idle_client_timeout_ms, 900);
  EXPECT_EQ(c.query_timeout_ms, 30);
  EXPECT_EQ(c.max_buffered_bytes, 4096u);
  EXPECT_EQ(c.max_unauthenticated_connections, 11u);
  EXPECT_EQ(c.max_unauthenticated_per_address, 3u);
  EXPECT_EQ(c.handshake_timeout_ms, 70);
  EXPECT_EQ(c.offload_analysis_bytes, 512u);
  EXPECT_EQ(c.upstream_read_timeout_ms, 40);
  EXPECT_EQ(c.io_threads, 3);
  EXPECT_TRUE(c.pin_io_threads);
  EXPECT_TRUE(c.unpin_when_crowded);
  EXPECT_EQ(c.io_poll_us, 50);
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.stats_interval_seconds, 5);
  EXPECT_EQ(c.catalog_conninfo, "host=x");
  EXPECT_EQ(c.catalog_refresh_seconds, 60);
  EXPECT_EQ(c.audit_file, "/tmp/audit.jsonl");
  ASSERT_TRUE(c.policies);
  EXPECT_TRUE(c.policies->IsMap());
  EXPECT_TRUE(validate(c).empty());
}

struct BadCase {
  const char* yaml;
  const char* expected_fragment;
};

class ConfigErrors : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrors, NamesTheKey) {
  try {
    (void)parse(GetParam().yaml);
    FAIL() << "accepted: " << GetParam().yaml;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().expected_fragment), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigErrors,
    ::testing::Values(BadCase{"listen: nohost", "listen"}, BadCase{"listen: host:99999", "bad port"},
                      BadCase{"upstream: {port: 0}", "upstream.port"},
                      BadCase{"upstream: {tls: maybe}", "upstream.tls"},
                      BadCase{"limits: {max_message_size: lots}", "limits.max_message_size"},
                      BadCase{"limts: {}", "unknown key"}, BadCase{"upstream: {hots: x}", "upstream.hots"},
                      BadCase{"- a\n- b", "top level"}, BadCase{"tls: 3", "tls"},
                      BadCase{"policies: [1, 2]", "policies"}));

TEST(Config, IoPollUsIsBounded) {
  for (const char* bad : {"io_poll_us: -1", "io_poll_us: 10001"}) {
    const auto problems = validate(parse(bad));
    ASSERT_EQ(problems.size(), 1u) << bad;
    EXPECT_NE(problems[0].find("io_poll_us"), std::string::npos) << problems[0];
  }
  EXPECT_TRUE(validate(parse("io_poll_us: 10000")).empty());
}

TEST(Config, ValidateFindsInconsistencies) {
  Config c = parse("tls: {require: true}");
  auto problems = validate(c);
  ASSERT_FALSE(problems.empty());
  EXPECT_NE(problems[0].find("tls.require"), std::string::npos);

  c = parse("upstream: {tls: verify-full}");
  problems = validate(c);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("ca_file"), std::string::npos);

  c = parse("limits: {max_message_size: 10}\nlog: {level: loud}");
  EXPECT_EQ(validate(c).size(), 2u);

  c = parse("limits: {max_message_size: 4096, max_buffered_bytes: 2048}");
  problems = validate(c);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("limits.max_buffered_bytes"), std::string::npos);

  c = parse("limits: {query_timeout_ms: -1}\nupstream: {read_timeout_ms: -1}");
  problems = validate(c);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("limits.query_timeout_ms"), std::string::npos);
  EXPECT_NE(problems[1].find("upstream.read_timeout_ms"), std::string::npos);

  c = parse("limits: {max_unauthenticated_connections: 0, max_unauthenticated_per_address: 0, handshake_timeout_ms: 0}");
  problems = validate(c);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].find("limits.max_unauthenticated_connections"), std::string::npos);
  EXPECT_NE(problems[1].find("limits.max_unauthenticated_per_address"), std::string::npos);
  EXPECT_NE(problems[2].find("limits.handshake_timeout_ms"), std::string::npos);
}

TEST(Config, ReadsTheOperationsKeys) {
  const Config off = parse("");
  EXPECT_EQ(off.http_listen.port, 0) << "the HTTP endpoint must be off by default";
  EXPECT_EQ(off.drain_timeout_ms, 30000);
  const Config c = parse("http: {listen: 0.0.0.0:9187}\ndrain: {timeout_ms: 1500}\n");
  EXPECT_EQ(c.http_listen.to_string(), "0.0.0.0:9187");
  EXPECT_EQ(c.drain_timeout_ms, 1500);
  EXPECT_TRUE(validate(c).empty());
  EXPECT_EQ(parse("http: {listen: \"\"}").http_listen.port, 0);
  EXPECT_TRUE(off.proxy_trusted.empty()) << "no PROXY header is read by default";
  const Config pp = parse("proxy_protocol: {trusted: [10.0.0.0/8, \"::1\"], required: false}\n");
  ASSERT_EQ(pp.proxy_trusted.size(), 2u);
  EXPECT_EQ(pp.proxy_trusted[1].prefix, 128);
  EXPECT_FALSE(pp.proxy_required);
}

TEST(Config, RejectsBadOperationsKeys) {
  auto error = [](const std::string& yaml) {
    try {
      parse(yaml);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(error("http: {listen: nowhere}").find("'http.listen'"), std::string::npos);
  EXPECT_NE(error("http: {port: 9187}").find("'http.port': unknown key"), std::string::npos);
  EXPECT_NE(error("drain: {timeout: 3}").find("'drain.timeout'"), std::string::npos);
  EXPECT_NE(error("proxy_protocol: {trusted: [10.0.0.0/40]}").find("'proxy_protocol.trusted': '10.0.0.0/40'"),
            std::string::npos);
  const auto problems = validate(parse("listen: 127.0.0.1:7000\nhttp: {listen: 127.0.0.1:7000}\ndrain: {timeout_ms: -1}"));
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].find("drain.timeout_ms"), std::string::npos);
  EXPECT_NE(problems[1].find("http.listen"), std::string::npos);
}

TEST(Config, ReadsPeers) {
  const Config c = parse(R"(
peer_id: 2
peers:
  - {id: 1, host: 10.0.0.1, port: 5439}
  - {id: 2, host: 10.0.0.2, port: 6439}
)");
  EXPECT_EQ(c.peer_id, 2);
  ASSERT_EQ(c.peers.size(), 2u);
  EXPECT_EQ(c.peers[0].id, 1);
  EXPECT_EQ(c.peers[0].endpoint.to_string(), "10.0.0.1:5439");
  EXPECT_EQ(c.peers[1].endpoint.to_string(), "10.0.0.2:6439");
  EXPECT_TRUE(validate(c).empty());
  EXPECT_EQ(parse("").peer_id, 0) << "no peering by default";
}

TEST(Config, RejectsBadPeers) {
  EXPECT_THROW(parse("peers: {id: 1}"), std::runtime_error);
  EXPECT_THROW(parse("peers: [{id: 1, host: a, port: 0}]"), std::runtime_error);
  EXPECT_THROW(parse("peers: [{id: 1, host: a, port: 1, weight: 3}]"), std::runtime_error);
  auto only_problem = [](const std::string& yaml, const std::string& expected) {
    const auto problems = validate(parse(yaml));
    ASSERT_EQ(problems.size(), 1u) << yaml;
    EXPECT_NE(problems[0].find(expected), std::string::npos) << problems[0];
  };
  only_problem("peer_id: 16", "peer_id must be 1..15");
  only_problem("peers: [{id: 1, host: a, port: 1}]", "peer_id is not set");
  only_problem("peer_id: 1\npeers: [{id: 0, host: a, port: 1}]", "id 0 is not 1..15");
  only_problem("peer_id: 1\npeers: [{id: 1, host: a, port: 1}, {id: 1, host: b, port: 1}]", "listed twice");
}

TEST(Config, ParseEndpoint) {
  EXPECT_EQ(parse_endpoint("[::1]:5439").host, "::1");
  EXPECT_EQ(parse_endpoint("[::1]:5439").port, 5439);
  EXPECT_EQ(parse_endpoint("db.example.com:5439").host, "db.example.com");
  EXPECT_THROW(parse_endpoint(":5439"), std::invalid_argument);
  EXPECT_THROW(parse_endpoint("host:"), std::invalid_argument);
  EXPECT_THROW(parse_endpoint("host:12x"), std::invalid_argument);
  EXPECT_THROW(parse_endpoint("[::1]5439"), std::invalid_argument);
}

}  // namespace
}  // namespace blueshift::proxy

// Authentication payload helpers: SASL mechanism lists (and the -PLUS filter the proxy
// applies), SASLInitialResponse, and Redshift's AUTH_REQ_DIGEST request and answer.
#include "protocol/auth.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "message_builder.h"
#include "protocol/codec.h"

namespace blueshift::protocol {
namespace {

using testing::Bytes;
using testing::span_of;

TEST(SaslMechanisms, ParseTheServersList) {
  const std::string payload = Bytes().str("SCRAM-SHA-256-PLUS").str("SCRAM-SHA-256").u8(0).body();
  auto m = parse_sasl_mechanisms(payload);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}));
  EXPECT_EQ(encode_sasl_mechanisms(*m), payload);
}

// What the proxy does when it terminates TLS: channel binding to the client's TLS session
// cannot be forwarded, so the -PLUS variants are dropped from the list the client sees.
TEST(SaslMechanisms, FilterPlusRoundTripsThroughAnAuthenticationMessage) {
  const std::string upstream =
      Bytes().i32(10).str("SCRAM-SHA-256-PLUS").str("SCRAM-SHA-256").u8(0).frame('R');
  Frame f;
  std::string error;
  ASSERT_EQ(decode_frame(span_of(upstream), kDefaultMaxMessageSize, &f, &error), DecodeStatus::ReadyForNext);
  auto msg = decode_backend(f.code, f.body);
  ASSERT_TRUE(msg.ok());
  auto& auth = std::get<Authentication>(*msg);
  ASSERT_EQ(auth.type, static_cast<int32_t>(AuthType::Sasl));
  auto mechanisms = parse_sasl_mechanisms(auth.payload);
  ASSERT_TRUE(mechanisms.ok());
  std::erase_if(*mechanisms, [](const std::string& m) { return m.ends_with("-PLUS"); });
  auth.payload = encode_sasl_mechanisms(*mechanisms);
  std::string to_client;
  encode(*msg, to_client);
  EXPECT_EQ(to_client, Bytes().i32(10).str("SCRAM-SHA-256").u8(0).frame('R'));
  auto reparsed = parse_sasl_mechanisms(
      std::get<Authentication>(*decode_backend('R', span_of(to_client.substr(kHeaderSize)))).payload);
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(*reparsed, std::vector<std::string>{"SCRAM-SHA-256"});
}

TEST(SaslMechanisms, EmptyListAndMalformedLists) {
  auto empty = parse_sasl_mechanisms(std::string(1, '\0'));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(encode_sasl_mechanisms({}), std::string(1, '\0'));

  EXPECT_EQ(parse_sasl_mechanisms("").status().message(),
            "invalid SASL mechanism list: string at byte 0 has no NUL terminator");
  EXPECT_EQ(parse_sasl_mechanisms(Bytes().str("SCRAM-SHA-256").body()).status().message(),
            "invalid SASL mechanism list: string at byte 14 has no NUL terminator");
  EXPECT_EQ(parse_sasl_mechanisms(Bytes().str("A").u8(0).raw("x").body()).status().message(),
            "invalid SASL mechanism list: 1 byte left over after byte 3");
}

TEST(SaslInitialResponse, RoundTripAndLayout) {
  const SaslInitialResponse r{"SCRAM-SHA-256", "n,,n=,r=abc"};
  const std::string wire = Bytes().str("SCRAM-SHA-256").sized("n,,n=,r=abc").body();
  EXPECT_EQ(encode_sasl_initial_response(r), wire);
  auto back = parse_sasl_initial_response(wire);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  // -1: no initial response.
  auto none = parse_sasl_initial_response(Bytes().str("X").i32(-1).body());
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->data.has_value());
  EXPECT_FALSE(parse_sasl_initial_response(Bytes().str("X").i32(100).raw("short").body()).ok());
}

// Layout per the Redshift JDBC/Python drivers' AUTH_REQ_DIGEST handling (see messages.h).
TEST(RedshiftDigest, RequestLayoutRoundTrip) {
  const RedshiftDigestRequest r{0, std::string("s\0lt", 4), "server-nonce"};
  const std::string payload = Bytes().i32(0).sized(std::string("s\0lt", 4)).sized("server-nonce").body();
  EXPECT_EQ(encode_redshift_digest_request(r), payload);
  auto back = parse_redshift_digest_request(payload);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);

  // Carried in an Authentication message of type 13, relayed as raw payload.
  const std::string wire = Bytes().i32(13).raw(payload).frame('R');
  auto msg = decode_backend('R', span_of(wire.substr(kHeaderSize)));
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(std::get<Authentication>(*msg).type, static_cast<int32_t>(AuthType::RedshiftDigest));
  EXPECT_EQ(std::get<Authentication>(*msg).payload, payload);
}

TEST(RedshiftDigest, ResponseLayoutRoundTrip) {
  const RedshiftDigestResponse r{std::string(32, '\xab'), "1717171717171"};
  const std::string body = Bytes().sized(std::string(32, '\xab')).sized("1717171717171").body();
  EXPECT_EQ(encode_redshift_digest_response(r), body);
  auto back = parse_redshift_digest_response(body);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, r);
  // On the wire it is frontend code 'd', which the codec reads as CopyData and relays.
  auto msg = decode_frontend('d', span_of(body));
  ASSERT_TRUE(msg.ok());
  EXPECT_EQ(std::get<CopyDataF>(*msg).data, body);
}

TEST(RedshiftDigest, MalformedPayloads) {
  EXPECT_EQ(parse_redshift_digest_request(Bytes().i32(0).i32(-1).body()).status().message(),
            "invalid Redshift digest request: length -1 where a value is required");
  EXPECT_EQ(parse_redshift_digest_request(Bytes().i32(0).i32(-5).body()).status().message(),
            "invalid Redshift digest request: value length at byte 4 is -5");
  EXPECT_EQ(parse_redshift_digest_request(Bytes().i32(0).i32(1 << 30).raw("x").body()).status().message(),
            "invalid Redshift digest request: value at byte 4 claims 1073741824 bytes, but only 1 follow");
  EXPECT_FALSE(parse_redshift_digest_request(Bytes().i32(0).sized("salt").body()).ok());  // no nonce
  EXPECT_FALSE(parse_redshift_digest_response(Bytes().sized("d").sized("n").raw("x").body()).ok());
}

}  // namespace
}  // namespace blueshift::protocol

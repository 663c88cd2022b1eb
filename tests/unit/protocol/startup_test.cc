// Startup-phase packets: framing, the four packet kinds, protocol versions, malformed
// packets, and StartupMessage::find/erase.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "message_builder.h"
#include "protocol/codec.h"
#include "samples.h"

namespace blueshift::protocol {
namespace {

using testing::Bytes;
using testing::span_of;

std::string encoded(const StartupPacket& p) {
  std::string out;
  encode(p, out);
  return out;
}

absl::StatusOr<StartupPacket> decode_whole(const std::string& wire) {
  std::span<const uint8_t> body;
  size_t size = 0;
  std::string error;
  EXPECT_EQ(decode_startup_frame(span_of(wire), &body, &size, &error), DecodeStatus::ReadyForNext) << error;
  EXPECT_EQ(size, wire.size());
  return decode_startup(body);
}

TEST(Startup, RoundTripEveryPacketType) {
  for (const auto& p : testing::startup_samples()) {
    const std::string wire = encoded(p);
    auto back = decode_whole(wire);
    ASSERT_TRUE(back.ok()) << "index " << p.index() << ": " << back.status();
    EXPECT_EQ(*back, p) << "index " << p.index();
    EXPECT_EQ(encoded(*back), wire);
  }
}

TEST(Startup, MatchesDocumentedLayout) {
  EXPECT_EQ(encoded(SslRequest{}), Bytes().i32(80877103).startup());
  EXPECT_EQ(encoded(GssEncRequest{}), Bytes().i32(80877104).startup());
  EXPECT_EQ(encoded(CancelRequest{7, 9}), Bytes().i32(80877102).i32(7).i32(9).startup());
  EXPECT_EQ(encoded(StartupMessage{kProtocolVersion3, {{"user", "a"}}}),
            Bytes().i32(196608).str("user").str("a").u8(0).startup());
  EXPECT_EQ(encoded(SslRequest{}).size(), 8u);
  EXPECT_EQ(encoded(CancelRequest{}).size(), 16u);
}

TEST(Startup, SplitAtEveryByte) {
  for (const auto& p : testing::startup_samples()) {
    const std::string wire = encoded(p);
    for (size_t cut = 0; cut < wire.size(); ++cut) {
      std::span<const uint8_t> body;
      size_t size = 0;
      std::string error;
      ASSERT_EQ(decode_startup_frame(span_of(wire.substr(0, cut)), &body, &size, &error), DecodeStatus::NeedMoreData)
          << "cut " << cut;
      EXPECT_EQ(size, cut >= 4 ? wire.size() : 0u);
      EXPECT_TRUE(body.empty());
    }
  }
}

TEST(Startup, SslRequestThenStartupMessageInOneBuffer) {
  const std::string wire = encoded(SslRequest{}) + encoded(testing::startup_samples()[0]);
  std::span<const uint8_t> body;
  size_t size = 0;
  std::string error;
  ASSERT_EQ(decode_startup_frame(span_of(wire), &body, &size, &error), DecodeStatus::ReadyForNext);
  auto first = decode_startup(body);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(std::holds_alternative<SslRequest>(*first));
  const std::string rest = wire.substr(size);
  ASSERT_EQ(decode_startup_frame(span_of(rest), &body, &size, &error), DecodeStatus::ReadyForNext);
  auto second = decode_startup(body);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, testing::startup_samples()[0]);
}

TEST(Startup, BadLengths) {
  const int64_t lengths[] = {0, 7, -8, 10001, 1 << 30};
  for (int64_t len : lengths) {
    const std::string wire = Bytes().i32(len).i32(kSslRequestCode).body();
    std::span<const uint8_t> body;
    size_t size = 0;
    std::string error;
    EXPECT_EQ(decode_startup_frame(span_of(wire), &body, &size, &error), DecodeStatus::Error) << len;
    EXPECT_EQ(error, "invalid length of startup packet: " + std::to_string(len) + " (must be 8 to 10000)");
  }
  // The limit itself is allowed.
  const std::string wire = Bytes().i32(10000).body();
  std::span<const uint8_t> body;
  size_t size = 0;
  std::string error;
  EXPECT_EQ(decode_startup_frame(span_of(wire), &body, &size, &error), DecodeStatus::NeedMoreData);
  EXPECT_EQ(size, 10000u);
}

struct BadStartup {
  const char* name;
  std::string body;  // after the length
  const char* error;
};

TEST(Startup, MalformedPackets) {
  const BadStartup cases[] = {
      {"protocol 2.0", Bytes().i32(2 << 16).str("user").str("a").u8(0).body(),
       "unsupported frontend protocol 2.0: the proxy supports 3.0"},
      {"protocol 4.0", Bytes().i32(4 << 16).u8(0).body(), "unsupported frontend protocol 4.0: the proxy supports 3.0"},
      {"unknown request code", Bytes().i32(80877199).body(),
       "unsupported frontend protocol 1234.5775: the proxy supports 3.0"},
      {"no final terminator", Bytes().i32(kProtocolVersion3).str("user").str("a").body(),
       "invalid startup packet: string at byte 11 has no NUL terminator"},
      {"value without NUL", Bytes().i32(kProtocolVersion3).str("user").raw("a").body(),
       "invalid startup packet: string at byte 9 has no NUL terminator"},
      {"bytes after terminator", Bytes().i32(kProtocolVersion3).str("user").str("a").u8(0).raw("zz").body(),
       "invalid startup packet: 2 bytes left over after byte 12"},
      {"ssl request with a body", Bytes().i32(kSslRequestCode).i32(0).body(),
       "invalid startup packet: 4 bytes left over after byte 4"},
      {"short cancel", Bytes().i32(kCancelRequestCode).i32(1).body(),
       "invalid startup packet: truncated at byte 8: Int32 needs 4 bytes, 0 left"},
      {"long cancel key (protocol 3.2)", Bytes().i32(kCancelRequestCode).i32(1).i32(2).i32(3).body(),
       "invalid startup packet: 4 bytes left over after byte 12"},
      {"no code", "ab", "invalid startup packet: truncated at byte 0: Int32 needs 4 bytes, 2 left"},
  };
  for (const auto& c : cases) {
    auto r = decode_startup(span_of(c.body));
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(r.status().message(), c.error) << c.name;
  }
}

TEST(Startup, AcceptsNewerMinorVersions) {
  auto r = decode_startup(span_of(Bytes().i32((3 << 16) | 2).str("user").str("a").u8(0).body()));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(std::get<StartupMessage>(*r).protocol_version, (3 << 16) | 2);
}

TEST(StartupMessage, FindAndErase) {
  StartupMessage m{kProtocolVersion3, {{"user", "u"}, {"options", "-c x=1"}, {"user", "dup"}, {"database", ""}}};
  ASSERT_NE(m.find("user"), nullptr);
  EXPECT_EQ(*m.find("user"), "u");
  ASSERT_NE(m.find("database"), nullptr);
  EXPECT_EQ(*m.find("database"), "");
  EXPECT_EQ(m.find("User"), nullptr);  // names are case-sensitive, as in PostgreSQL
  m.erase("user");
  EXPECT_EQ(m.find("user"), nullptr);
  ASSERT_EQ(m.parameters.size(), 2u);
  EXPECT_EQ(m.parameters[0].first, "options");  // order of the rest is kept
  EXPECT_EQ(m.parameters[1].first, "database");
  m.erase("absent");
  EXPECT_EQ(m.parameters.size(), 2u);
}

}  // namespace
}  // namespace blueshift::protocol

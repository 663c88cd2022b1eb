// Typed messages: round trips, codes, framing at every byte, several messages per read,
// malformed peer bytes, and Redshift's extended RowDescription.
#include "protocol/codec.h"
#include "protocol/cursor.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <set>
#include <string>
#include <variant>

#include "message_builder.h"
#include "samples.h"

namespace blueshift::protocol {
namespace {

using testing::Bytes;
using testing::span_of;

std::string encoded(const FrontendMessage& m) {
  std::string out;
  encode(m, out);
  return out;
}
std::string encoded(const BackendMessage& m, const BackendOptions& o = {}) {
  std::string out;
  encode(m, out, o);
  return out;
}

// Frames one whole message; fails the test unless buf holds exactly that message.
Frame frame_of(const std::string& buf) {
  Frame f;
  std::string error;
  EXPECT_EQ(decode_frame(span_of(buf), kDefaultMaxMessageSize, &f, &error), DecodeStatus::ReadyForNext) << error;
  EXPECT_EQ(f.size, buf.size());
  return f;
}

absl::StatusOr<FrontendMessage> decode_whole_frontend(const std::string& buf) {
  Frame f = frame_of(buf);
  return decode_frontend(f.code, f.body);
}
absl::StatusOr<BackendMessage> decode_whole_backend(const std::string& buf, const BackendOptions& o = {}) {
  Frame f = frame_of(buf);
  return decode_backend(f.code, f.body, o);
}

// ------------------------------------------------------------------ coverage, codes

TEST(Samples, CoverEveryMessageType) {
  std::set<size_t> fe, be;
  for (const auto& m : testing::frontend_samples()) fe.insert(m.index());
  for (const auto& m : testing::backend_samples()) be.insert(m.index());
  EXPECT_EQ(fe.size(), std::variant_size_v<FrontendMessage>);
  EXPECT_EQ(be.size(), std::variant_size_v<BackendMessage>);
  std::set<size_t> st;
  for (const auto& p : testing::startup_samples()) st.insert(p.index());
  EXPECT_EQ(st.size(), std::variant_size_v<StartupPacket>);
}

TEST(Codes, EachFrontendTypeEncodesToItsDocumentedCode) {
  const auto& codes = testing::frontend_codes();
  ASSERT_EQ(codes.size() + 1, std::variant_size_v<FrontendMessage>);  // + UnknownFrontend
  for (const auto& m : testing::frontend_samples()) {
    const std::string bytes = encoded(m);
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes[0], code_of(m));
    if (m.index() < codes.size()) {
      EXPECT_EQ(code_of(m), codes[m.index()].second) << codes[m.index()].first;
    }
  }
}

TEST(Codes, EachBackendTypeEncodesToItsDocumentedCode) {
  const auto& codes = testing::backend_codes();
  ASSERT_EQ(codes.size() + 1, std::variant_size_v<BackendMessage>);  // + UnknownBackend
  for (const auto& m : testing::backend_samples()) {
    const std::string bytes = encoded(m);
    ASSERT_FALSE(bytes.empty());
    EXPECT_EQ(bytes[0], code_of(m));
    if (m.index() < codes.size()) {
      EXPECT_EQ(code_of(m), codes[m.index()].second) << codes[m.index()].first;
    }
  }
  // The ClickHouse bug the house style warns about.
  EXPECT_EQ(encoded(CloseComplete{})[0], '3');
  EXPECT_EQ(encoded(CommandComplete{"SELECT 1"})[0], 'C');
}

TEST(Codes, UnknownMessagesKeepTheirCodeAndPayload) {
  EXPECT_EQ(encoded(UnknownFrontend{'i', "tok"}), Bytes().raw("tok").frame('i'));
  EXPECT_EQ(encoded(UnknownBackend{'q', ""}), Bytes().frame('q'));
  const std::string token("token\0", 6);  // JDBC NUL-terminates the IdP token
  auto fe = decode_frontend('i', span_of(token));
  ASSERT_TRUE(fe.ok());
  EXPECT_EQ(*fe, FrontendMessage(UnknownFrontend{'i', token}));
  // A backend code is unknown to the frontend decoder and the other way round.
  auto t = decode_frontend('T', span_of("x"));
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(std::holds_alternative<UnknownFrontend>(*t));
  auto q = decode_backend('Q', span_of("x"));
  ASSERT_TRUE(q.ok());
  EXPECT_TRUE(std::holds_alternative<UnknownBackend>(*q));
}

// ------------------------------------------------------------------ round trips

TEST(RoundTrip, EveryFrontendMessage) {
  for (const auto& m : testing::frontend_samples()) {
    const std::string bytes = encoded(m);
    auto decoded = decode_whole_frontend(bytes);
    ASSERT_TRUE(decoded.ok()) << "index " << m.index() << ": " << decoded.status();
    EXPECT_EQ(*decoded, m) << "index " << m.index();
    EXPECT_EQ(encoded(*decoded), bytes);
  }
}

TEST(RoundTrip, EveryBackendMessage) {
  for (const auto& m : testing::backend_samples()) {
    const std::string bytes = encoded(m);
    auto decoded = decode_whole_backend(bytes);
    ASSERT_TRUE(decoded.ok()) << "index " << m.index() << ": " << decoded.status();
    EXPECT_EQ(*decoded, m) << "index " << m.index();
    EXPECT_EQ(encoded(*decoded), bytes);
  }
}

// Encoder output checked against hand-built bytes for the messages with the most fields.
TEST(Encoding, MatchesDocumentedLayout) {
  EXPECT_EQ(encoded(Bind{"p", "s", {1}, {"ab", std::nullopt}, {0, 1}}),
            Bytes().str("p").str("s").i16(1).i16(1).i16(2).sized("ab").i32(-1).i16(2).i16(0).i16(1).frame('B'));
  EXPECT_EQ(encoded(Parse{"", "SELECT $1", {23}}), Bytes().str("").str("SELECT $1").i16(1).i32(23).frame('P'));
  EXPECT_EQ(encoded(DataRow{{"7", std::nullopt}}), Bytes().i16(2).sized("7").i32(-1).frame('D'));
  EXPECT_EQ(encoded(ReadyForQuery{'T'}), Bytes().raw("T").frame('Z'));
  EXPECT_EQ(encoded(ErrorResponse{{{{'S', "FATAL"}, {'C', "28000"}}}}),
            Bytes().raw("S").str("FATAL").raw("C").str("28000").u8(0).frame('E'));
  EXPECT_EQ(encoded(CopyOutResponse{{1, {1, 1}}}), Bytes().u8(1).i16(2).i16(1).i16(1).frame('H'));
  EXPECT_EQ(encoded(NegotiateProtocolVersion{0, {"_pq_.x"}}), Bytes().i32(0).i32(1).str("_pq_.x").frame('v'));
  EXPECT_EQ(encoded(Authentication{5, "salt"}), Bytes().i32(5).raw("salt").frame('R'));
  EXPECT_EQ(encoded(Sync{}), std::string("S\0\0\0\4", 5));
}

// ------------------------------------------------------------------ framing

TEST(Framing, EachMessageSplitAtEveryByte) {
  std::vector<std::string> all;
  for (const auto& m : testing::frontend_samples()) all.push_back(encoded(m));
  for (const auto& m : testing::backend_samples()) all.push_back(encoded(m));
  for (const std::string& bytes : all) {
    const size_t declared = bytes.size();
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      Frame f;
      std::string error;
      ASSERT_EQ(decode_frame(span_of(bytes.substr(0, cut)), kDefaultMaxMessageSize, &f, &error),
                DecodeStatus::NeedMoreData)
          << "cut " << cut << " of " << bytes.size();
      EXPECT_TRUE(f.body.empty());
      if (cut >= 1) {
        EXPECT_EQ(f.code, bytes[0]);
      }
      // Once the header is in, the caller knows the whole size (to stream the body).
      EXPECT_EQ(f.size, cut >= kHeaderSize ? declared : 0u) << "cut " << cut;
    }
    Frame f;
    std::string error;
    ASSERT_EQ(decode_frame(span_of(bytes), kDefaultMaxMessageSize, &f, &error), DecodeStatus::ReadyForNext);
    EXPECT_EQ(f.size, declared);
    EXPECT_EQ(f.body.size(), declared - kHeaderSize);
  }
}

TEST(Framing, SeveralMessagesInOneBuffer) {
  const auto samples = testing::backend_samples();
  std::string buf;
  for (const auto& m : samples) encode(m, buf);
  std::span<const uint8_t> rest = span_of(buf);
  size_t n = 0;
  while (!rest.empty()) {
    Frame f;
    std::string error;
    ASSERT_EQ(decode_frame(rest, kDefaultMaxMessageSize, &f, &error), DecodeStatus::ReadyForNext) << error;
    auto m = decode_backend(f.code, f.body);
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_LT(n, samples.size());
    EXPECT_EQ(*m, samples[n]);
    ++n;
    rest = rest.subspan(f.size);
  }
  EXPECT_EQ(n, samples.size());
}

// Random read sizes, as a socket delivers them; the seed is printed so a failure replays.
TEST(Framing, StreamInRandomChunks) {
  const char* env = std::getenv("BLUESHIFT_TEST_SEED");
  const uint64_t seed = env ? std::strtoull(env, nullptr, 10) : 20240601;
  std::cout << "StreamInRandomChunks seed=" << seed << " (set BLUESHIFT_TEST_SEED to replay)\n";
  std::mt19937_64 rng(seed);
  const auto samples = testing::frontend_samples();
  std::string wire;
  for (int round = 0; round < 20; ++round) {
    for (const auto& m : samples) encode(m, wire);
  }
  std::string pending;
  size_t pos = 0, n = 0;
  while (pos < wire.size()) {
    const size_t chunk = 1 + rng() % 40;
    pending.append(wire, pos, chunk);
    pos += chunk;
    for (;;) {
      Frame f;
      std::string error;
      const DecodeStatus s = decode_frame(span_of(pending), kDefaultMaxMessageSize, &f, &error);
      ASSERT_NE(s, DecodeStatus::Error) << error << " seed=" << seed;
      if (s == DecodeStatus::NeedMoreData) break;
      auto m = decode_frontend(f.code, f.body);
      ASSERT_TRUE(m.ok()) << m.status() << " seed=" << seed;
      EXPECT_EQ(*m, samples[n % samples.size()]) << "message " << n << " seed=" << seed;
      ++n;
      pending.erase(0, f.size);
    }
  }
  EXPECT_EQ(n, samples.size() * 20);
  EXPECT_TRUE(pending.empty());
}

struct BadLength {
  const char* name;
  int64_t length;
  size_t max_size;
  const char* error;
};

TEST(Framing, MalformedLengths) {
  const BadLength cases[] = {
      {"length 3", 3, kDefaultMaxMessageSize, "message of type 'Q' has invalid length 3"},
      {"length 0", 0, kDefaultMaxMessageSize, "message of type 'Q' has invalid length 0"},
      {"negative", -1, kDefaultMaxMessageSize, "message of type 'Q' has invalid length -1"},
      {"int32 min", INT32_MIN, kDefaultMaxMessageSize, "message of type 'Q' has invalid length -2147483648"},
      {"huge", 2000000000, kDefaultMaxMessageSize,
       "message of type 'Q' is 2000000001 bytes, over the 67108864-byte limit"},
      {"one over a small limit", 100, 100, "message of type 'Q' is 101 bytes, over the 100-byte limit"},
  };
  for (const auto& c : cases) {
    std::string buf = Bytes().raw("Q").i32(c.length).raw("SELECT 1").body();
    Frame f;
    std::string error;
    EXPECT_EQ(decode_frame(span_of(buf), c.max_size, &f, &error), DecodeStatus::Error) << c.name;
    EXPECT_EQ(error, c.error) << c.name;
  }
  // Exactly at the limit is fine; the header alone already says it is too big.
  std::string buf = Bytes().raw("Q").i32(99).body();
  Frame f;
  std::string error;
  EXPECT_EQ(decode_frame(span_of(buf), 100, &f, &error), DecodeStatus::NeedMoreData);
  EXPECT_EQ(f.size, 100u);
  buf = Bytes().raw("Q").i32(100).body();
  EXPECT_EQ(decode_frame(span_of(buf), 100, &f, &error), DecodeStatus::Error);
  // A binary code is named readably.
  buf = Bytes().u8(0).i32(1).body();
  EXPECT_EQ(decode_frame(span_of(buf), 100, &f, &error), DecodeStatus::Error);
  EXPECT_EQ(error, "message of type 0x00 has invalid length 1");
}

// ------------------------------------------------------------------ malformed bodies

// Types whose body is "the rest of the message" accept any prefix; every other type must
// reject every proper prefix of a valid body and any trailing byte.
bool raw_body(const FrontendMessage& m) {
  return std::holds_alternative<CopyDataF>(m) || std::holds_alternative<AuthResponse>(m) ||
         std::holds_alternative<UnknownFrontend>(m);
}
bool raw_body(const BackendMessage& m) {
  return std::holds_alternative<CopyDataB>(m) || std::holds_alternative<Authentication>(m) ||
         std::holds_alternative<UnknownBackend>(m);
}

TEST(Malformed, TruncatedAndPaddedFrontendBodiesAreRejected) {
  for (const auto& m : testing::frontend_samples()) {
    if (raw_body(m)) continue;
    const std::string bytes = encoded(m);
    const std::string body = bytes.substr(kHeaderSize);
    for (size_t cut = 0; cut < body.size(); ++cut) {
      auto r = decode_frontend(bytes[0], span_of(body.substr(0, cut)));
      ASSERT_FALSE(r.ok()) << "index " << m.index() << " cut " << cut;
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    }
    auto padded = decode_frontend(bytes[0], span_of(body + "x"));
    ASSERT_FALSE(padded.ok()) << "index " << m.index();
    EXPECT_NE(padded.status().message().find("1 byte left over"), std::string::npos) << padded.status();
  }
}

TEST(Malformed, TruncatedAndPaddedBackendBodiesAreRejected) {
  for (const auto& m : testing::backend_samples()) {
    if (raw_body(m)) continue;
    const std::string bytes = encoded(m);
    const std::string body = bytes.substr(kHeaderSize);
    for (size_t cut = 0; cut < body.size(); ++cut) {
      auto r = decode_backend(bytes[0], span_of(body.substr(0, cut)));
      ASSERT_FALSE(r.ok()) << "index " << m.index() << " cut " << cut;
      EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    }
    EXPECT_FALSE(decode_backend(bytes[0], span_of(body + "x")).ok()) << "index " << m.index();
  }
}

struct BadBody {
  const char* name;
  bool frontend;
  char code;
  std::string body;
  const char* error;  // exact status message
};

TEST(Malformed, BadBodiesGiveClearReasons) {
  const BadBody cases[] = {
      {"query without NUL", true, 'Q', "SELECT 1", "invalid Query message: string at byte 0 has no NUL terminator"},
      {"empty query body", true, 'Q', "", "invalid Query message: string at byte 0 has no NUL terminator"},
      {"bind: more values than bytes", true, 'B', Bytes().str("").str("").i16(0).i16(1000).i32(1).body(),
       "invalid Bind message: count of parameter values at byte 4 is 1000, but only 4 bytes follow"},
      {"bind: count read unsigned", true, 'B', Bytes().str("").str("").i16(0xffff).body(),
       "invalid Bind message: count of parameter formats at byte 2 is 65535, but only 0 bytes follow"},
      {"bind: value longer than body", true, 'B', Bytes().str("").str("").i16(0).i16(1).i32(10).raw("abc").body(),
       "invalid Bind message: value at byte 6 claims 10 bytes, but only 3 follow"},
      {"bind: negative value length", true, 'B', Bytes().str("").str("").i16(0).i16(1).i32(-2).i16(0).body(),
       "invalid Bind message: value length at byte 6 is -2"},
      {"parse: types beyond body", true, 'P', Bytes().str("").str("SELECT 1").i16(3).i32(23).body(),
       "invalid Parse message: count of parameter types at byte 10 is 3, but only 4 bytes follow"},
      {"describe: bad kind", true, 'D', Bytes().raw("X").str("s").body(),
       "invalid Describe message: kind must be 'S' or 'P'"},
      {"execute: truncated Int32", true, 'E', Bytes().str("").i16(0).body(),
       "invalid Execute message: truncated at byte 1: Int32 needs 4 bytes, 2 left"},
      {"sync with a body", true, 'S', "x", "invalid Sync message: 1 byte left over after byte 0"},
      {"datarow: huge count", false, 'D', Bytes().i16(65535).body(),
       "invalid DataRow message: count of columns at byte 0 is 65535, but only 0 bytes follow"},
      {"datarow: value longer than body", false, 'D', Bytes().i16(1).i32(5).raw("ab").body(),
       "invalid DataRow message: value at byte 2 claims 5 bytes, but only 2 follow"},
      {"rowdescription: count beyond body", false, 'T', Bytes().i16(2).str("a").raw(std::string(18, '\0')).body(),
       "invalid RowDescription message: count of fields at byte 0 is 2, but only 20 bytes follow"},
      {"rowdescription: name without NUL", false, 'T', Bytes().i16(1).raw(std::string(19, 'a')).body(),
       "invalid RowDescription message: string at byte 2 has no NUL terminator"},
      {"parameterstatus: value without NUL", false, 'S', Bytes().str("a").raw("b").body(),
       "invalid ParameterStatus message: string at byte 2 has no NUL terminator"},
      {"error: missing terminator", false, 'E', Bytes().raw("S").str("ERROR").body(),
       "invalid ErrorResponse message: truncated at byte 7: Byte1 needs 1 byte, 0 left"},
      {"readyforquery: bad status", false, 'Z', "Q",
       "invalid ReadyForQuery message: transaction status must be 'I', 'T' or 'E'"},
      {"negotiate: count beyond body", false, 'v', Bytes().i32(0).i32(0x7fffffff).body(),
       "invalid NegotiateProtocolVersion message: count of unrecognized options is 2147483647, but only 0 "
       "bytes follow"},
      {"backendkeydata: short", false, 'K', Bytes().i32(1).body(),
       "invalid BackendKeyData message: truncated at byte 4: Int32 needs 4 bytes, 0 left"},
      {"authentication: no type", false, 'R', "ab",
       "invalid authentication request: truncated at byte 0: Int32 needs 4 bytes, 2 left"},
  };
  for (const auto& c : cases) {
    absl::Status s = c.frontend ? decode_frontend(c.code, span_of(c.body)).status()
                                : decode_backend(c.code, span_of(c.body)).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_EQ(s.message(), c.error) << c.name;
  }
}

// What PostgreSQL's pq_getmsg* readers say for each kind of failure, for the proxy to answer
// a client in the server's words.
TEST(Malformed, CarryPostgresWords) {
  const std::pair<std::string, std::string_view> cases[] = {
      {Bytes().str("").str("").i16(0).i16(1000).i32(1).body(), kInsufficientData},          // count beyond body
      {Bytes().str("").str("").i16(0).i16(1).i32(10).raw("abc").body(), kInsufficientData},  // value beyond body
      {Bytes().str("").str("").i16(0).i16(1).i32(-2).i16(0).body(), kInsufficientData},      // negative length
      {Bytes().str("").str("").i16(0).i16(0).body(), kInsufficientData},                     // result formats cut
      {Bytes().str("").raw("s1").body(), kInvalidString},                                   // name without NUL
      {Bytes().str("").str("").i16(0).i16(0).i16(0).raw("xy").body(), kInvalidFormat},        // bytes left over
  };
  for (const auto& [body, words] : cases) {
    const absl::Status s = decode_frontend('B', span_of(body)).status();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(postgres_reason(s), words) << s;
  }
  EXPECT_EQ(postgres_reason(absl::InvalidArgumentError("no payload")), kInvalidFormat);
}

// ------------------------------------------------------------------ Redshift RowDescription

// One field in the layout QueryExecutorImpl.receiveFields reads when serverProtocolVersion
// >= EXTENDED_RESULT_METADATA_SERVER_PROTOCOL_VERSION: the standard 18 bytes, then schema,
// table, column and catalog names, then Int16 flags.
Bytes& redshift_field(Bytes& b, const char* label, int flags) {
  return b.str(label).i32(108000).i16(2).i32(1043).i16(-1).i32(260).i16(0)
      .str("public").str("sales").str("amount").str("dev").i16(flags);
}

TEST(RedshiftRowDescription, DecodesTheDriversLayout) {
  Bytes b;
  b.i16(2);
  redshift_field(b, "total", RedshiftFieldMetadata::kNullableBit | RedshiftFieldMetadata::kSearchableBit);
  redshift_field(b, "", 0);
  const std::string wire = b.frame('T');

  const BackendOptions redshift{.redshift_row_metadata = true};
  auto m = decode_whole_backend(wire, redshift);
  ASSERT_TRUE(m.ok()) << m.status();
  const auto& rd = std::get<RowDescription>(*m);
  ASSERT_EQ(rd.fields.size(), 2u);
  const FieldDescription& f = rd.fields[0];
  EXPECT_EQ(f.name, "total");
  EXPECT_EQ(f.table_oid, 108000);
  EXPECT_EQ(f.column_attr, 2);
  EXPECT_EQ(f.type_oid, 1043);
  EXPECT_EQ(f.type_size, -1);
  EXPECT_EQ(f.type_modifier, 260);
  EXPECT_EQ(f.format, 0);
  ASSERT_TRUE(f.redshift.has_value());
  EXPECT_EQ(f.redshift->schema_name, "public");
  EXPECT_EQ(f.redshift->table_name, "sales");
  EXPECT_EQ(f.redshift->column_name, "amount");
  EXPECT_EQ(f.redshift->catalog_name, "dev");
  EXPECT_EQ(f.redshift->flags, 0x1001);
  EXPECT_EQ(rd.fields[1].redshift->flags, 0);

  // Re-encoded with the same option: the very same bytes.
  EXPECT_EQ(encoded(*m, redshift), wire);
  // Read as the standard layout, the metadata is left over: an error, not a silent skip.
  auto standard = decode_whole_backend(wire);
  ASSERT_FALSE(standard.ok());
  EXPECT_EQ(standard.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(RedshiftRowDescription, StandardLayoutWithTheFlagOffIgnoresNothing) {
  const std::string wire =
      Bytes().i16(1).str("id").i32(16384).i16(1).i32(23).i16(4).i32(-1).i16(1).frame('T');
  auto m = decode_whole_backend(wire);
  ASSERT_TRUE(m.ok()) << m.status();
  const auto& rd = std::get<RowDescription>(*m);
  ASSERT_EQ(rd.fields.size(), 1u);
  EXPECT_EQ(rd.fields[0], (FieldDescription{"id", 16384, 1, 23, 4, -1, 1, std::nullopt}));
  EXPECT_EQ(encoded(*m), wire);
  // The same bytes read as the Redshift layout are short of the metadata.
  EXPECT_FALSE(decode_whole_backend(wire, {.redshift_row_metadata = true}).ok());
}

TEST(RedshiftRowDescription, EncodingFollowsTheNegotiatedLayout) {
  const RowDescription plain{{FieldDescription{"n", 0, 0, 23, 4, -1, 0, std::nullopt}}};
  // A proxy-built description for a Redshift client gets empty metadata...
  const std::string with = encoded(plain, {.redshift_row_metadata = true});
  EXPECT_EQ(with, Bytes().i16(1).str("n").i32(0).i16(0).i32(23).i16(4).i32(-1).i16(0)
                      .str("").str("").str("").str("").i16(0).frame('T'));
  // ...and metadata is dropped for a client that did not negotiate it.
  RowDescription rich = plain;
  rich.fields[0].redshift = RedshiftFieldMetadata{"s", "t", "c", "d", 1};
  EXPECT_EQ(encoded(rich), encoded(plain));
  auto back = decode_whole_backend(encoded(rich, {.redshift_row_metadata = true}), {.redshift_row_metadata = true});
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, BackendMessage(rich));
}

// ------------------------------------------------------------------ small API pieces

TEST(NoticeFields, FindReturnsTheFirstFieldWithTheCode) {
  ErrorResponse e{{{{'S', "ERROR"}, {'M', "first"}, {'M', "second"}}}};
  ASSERT_NE(e.find('M'), nullptr);
  EXPECT_EQ(*e.find('M'), "first");
  EXPECT_EQ(e.find('H'), nullptr);
}

TEST(DescribeCode, PrintableAndBinary) {
  EXPECT_EQ(describe_code('Q'), "'Q'");
  EXPECT_EQ(describe_code('\0'), "0x00");
  EXPECT_EQ(describe_code('\xff'), "0xff");
}

}  // namespace
}  // namespace blueshift::protocol

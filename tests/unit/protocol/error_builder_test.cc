// The proxy's own ErrorResponse/NoticeResponse: fields, their order, and the bytes.
#include "protocol/error_builder.h"

#include <gtest/gtest.h>

#include "message_builder.h"
#include "protocol/codec.h"

namespace blueshift::protocol {
namespace {

using testing::Bytes;
using testing::span_of;

const ProxyError kFull{"ERROR", "42501", "query scans spectrum_schema.sales without a partition filter",
                       "Table spectrum_schema.sales is partitioned by year, month.",
                       "Add a condition on year, e.g. WHERE year = 2024."};

TEST(ErrorBuilder, FillsEveryFieldInServerOrder) {
  const ErrorResponse e = make_error(kFull);
  const std::vector<std::pair<char, std::string>> expected = {
      {'S', "ERROR"}, {'V', "ERROR"}, {'C', "42501"}, {'M', kFull.message}, {'D', kFull.detail}, {'H', kFull.hint}};
  EXPECT_EQ(e.fields, expected);
}

TEST(ErrorBuilder, OmitsEmptyDetailAndHint) {
  const ProxyError bare{"FATAL", "08P01", "invalid startup packet", "", ""};
  const ErrorResponse e = make_error(bare);
  EXPECT_EQ(e.fields.size(), 4u);
  EXPECT_EQ(e.find('D'), nullptr);
  EXPECT_EQ(e.find('H'), nullptr);
  ASSERT_NE(e.find('V'), nullptr);
  EXPECT_EQ(*e.find('V'), "FATAL");
}

TEST(ErrorBuilder, NoticeCarriesTheSameFields) {
  ProxyError w = kFull;
  w.severity = "WARNING";
  const NoticeResponse n = make_notice(w);
  EXPECT_EQ(n.fields, make_error(w).fields);
  std::string out;
  encode(BackendMessage(n), out);
  EXPECT_EQ(out[0], 'N');
}

TEST(ErrorBuilder, EncodeErrorGivesTheWireBytes) {
  const ProxyError bare{"FATAL", "08P01", "bad", "", "try again"};
  const std::string bytes = encode_error(bare);
  EXPECT_EQ(bytes, Bytes()
                       .raw("S").str("FATAL")
                       .raw("V").str("FATAL")
                       .raw("C").str("08P01")
                       .raw("M").str("bad")
                       .raw("H").str("try again")
                       .u8(0)
                       .frame('E'));
  auto back = decode_backend('E', span_of(bytes.substr(kHeaderSize)));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<ErrorResponse>(*back), make_error(bare));
}

}  // namespace
}  // namespace blueshift::protocol

#include "policies/log_text.h"

#include <gtest/gtest.h>

namespace blueshift::policies {
namespace {

TEST(LogText, KeepsOrdinaryNames) {
  EXPECT_EQ(log_text("analyst"), "analyst");
  EXPECT_EQ(log_text("psql-15.4_app.v2"), "psql-15.4_app.v2");
  EXPECT_EQ(log_text(""), "");
}

TEST(LogText, EscapesWhatCouldForgeOrSplitALine) {
  EXPECT_EQ(log_text("a\nb"), "a\\x0ab");
  EXPECT_EQ(log_text("a\r\n[info] connection open"), "a\\x0d\\x0a[info]\\x20connection\\x20open");
  EXPECT_EQ(log_text("x\" reason=\"forged"), "x\\x22\\x20reason=\\x22forged");
  EXPECT_EQ(log_text("back\\slash"), "back\\x5cslash") << "a literal \\x in a name stays distinguishable";
  EXPECT_EQ(log_text("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(log_text(std::string_view("\xff\x7f\x00", 3)), "\\xff\\x7f\\x00");
  EXPECT_EQ(log_text("caf\xc3\xa9"), "caf\\xc3\\xa9");
}

TEST(LogText, MessagesKeepTheirSpacesAndQuotes) {
  EXPECT_EQ(log_message("role \"x\" does not exist"), "role \"x\" does not exist");
  EXPECT_EQ(log_message("a\n[info] forged"), "a\\x0a[info] forged");
  EXPECT_EQ(log_message("back\\slash \x1b"), "back\\x5cslash \\x1b");
}

}  // namespace
}  // namespace blueshift::policies

// Identifier rules in one place (rewrite/identifiers.h): search_path as the server shows it.
#include "rewrite/identifiers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace blueshift::rewrite {
namespace {

using Path = std::vector<std::string>;

TEST(ParseSearchPath, ReadsWhatTheServerShows) {
  const struct {
    const char* text;
    Path want;
  } rows[] = {
      // PostgreSQL's default, as SHOW and ParameterStatus give it.
      {R"("$user", public)", {"$user", "public"}},
      {R"("$user",public)", {"$user", "public"}},
      {"public", {"public"}},
      {"", {}},
      {"   ", {}},
      // Unquoted names fold to lower case and lose surrounding blanks.
      {"Public, SALES", {"public", "sales"}},
      {"  public  ,\tx  ", {"public", "x"}},
      {"ÄBC", {"Äbc"}},  // ASCII only, as the server folds
      // Quoted names keep case, blanks, commas and quotes (written "").
      {R"("My Schema", public)", {"My Schema", "public"}},
      {R"("  spaced  ")", {"  spaced  "}},
      {R"("a""b")", {"a\"b"}},
      {R"("""")", {"\""}},
      {R"("a,b", c)", {"a,b", "c"}},
      {R"("Sales","$user")", {"Sales", "$user"}},
      {R"("Ünï cödé")", {"Ünï cödé"}},
      // Empty entries are skipped.
      {R"("")", {}},
      {R"("", public)", {"public"}},
      {"public,,x", {"public", "x"}},
      {",public,", {"public"}},
      // Text the server would not show still reads without failing.
      {R"("unterminated)", {"unterminated"}},
      {R"("unterminated, with comma)", {"unterminated, with comma"}},
      {R"(")", {}},
      {R"("x"  , y)", {"x", "y"}},
  };
  for (const auto& row : rows) {
    EXPECT_EQ(parse_search_path(row.text), row.want) << "search_path: " << row.text;
  }
}

}  // namespace
}  // namespace blueshift::rewrite

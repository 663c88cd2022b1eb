// The planners' and SQL-step scan's one pass (rewrite/statement_words.h): a keyword the
// statements hold is always found, whatever PostgreSQL's lexer lets a client write around it.
#include "rewrite/statement_words.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {
namespace {

TEST(StatementWords, FindsEachKeywordAsClientsWriteIt) {
  EXPECT_EQ(statement_words("INSERT INTO t VALUES (1) ON CONFLICT (k) DO NOTHING"), kWordConflict);
  EXPECT_EQ(statement_words("insert into t values (1) on CoNfLiCt do nothing"), kWordConflict);
  EXPECT_EQ(statement_words("insert into t select 1on/**/conflict do nothing"), kWordConflict);
  EXPECT_EQ(statement_words("MERGE"), kWordMerge);
  EXPECT_EQ(statement_words("/* dbt */merge into t using s on true when matched then delete"), kWordMerge);
  EXPECT_EQ(statement_words("select 1;Copy t from stdin"), kWordCopy);
  EXPECT_EQ(statement_words("PREPARE p AS SELECT 1"), kWordPrepare);
  EXPECT_EQ(statement_words("explain (analyze)execute p(1)"), kWordExecute);
  EXPECT_EQ(statement_words("create table x as execute p"), kWordExecute);
  EXPECT_EQ(statement_words("select $1execute"), kWordExecute);  // $1 then a word
  EXPECT_EQ(statement_words("select 1\tDEALLOCATE p"), kWordDeallocate);
  EXPECT_EQ(statement_words("discard all"), kWordDiscard);
  EXPECT_EQ(statement_words("select 12copy"), kWordCopy);  // PostgreSQL 15 reads 12 AS copy
  // Inside strings and comments too: a false "maybe" costs a look, never a miss.
  EXPECT_EQ(statement_words("select 'merge', $$copy$$ -- conflict"), kWordMerge | kWordCopy | kWordConflict);
}

TEST(StatementWords, NothingInTextsThatHoldNone) {
  EXPECT_EQ(statement_words("SELECT abalance FROM pgbench_accounts WHERE aid = 4711"), 0u);
  EXPECT_EQ(statement_words("SELECT TRUE FROM public.orders WHERE 1 <> 1 LIMIT 0"), 0u);
  EXPECT_EQ(statement_words("select copying, merged, xconflict, prepared, executes from t"), 0u);
  EXPECT_EQ(statement_words(""), 0u);
}

TEST(StatementWords, EscapesAnswerEveryWord) {
  EXPECT_EQ(statement_words("select E'\\x41'"), 0x7fu);
  EXPECT_EQ(statement_words("select U&\"\\0041\""), 0x7fu);
}

// Against PostgreSQL's own scanner: texts pieced together from keywords in both cases and
// what the lexer lets sit next to them (digits, $n, quotes, comments, operators, bytes
// past 0x7f); every keyword token it finds in a text it accepts is a word found.
TEST(StatementWords, EveryKeywordTokenOfPostgreSQLsScanner) {
  const std::vector<std::string> keywords = {"merge", "CONFLICT", "Copy", "prepare", "EXECUTE", "deallocate", "Discard"};
  const std::vector<std::string> glue = {" ", "", "1", "$1", "(", ")", ";", "/**/", "--\n", "'x'", "\"q\"", "$$d$$",
                                         "::", "+", ".", "\xc3\xa9", "_", "e", "\n", ","};
  uint32_t seed = 2024;
  const auto next = [&](size_t n) {
    seed = seed * 1103515245 + 12345;
    return (seed >> 16) % n;
  };
  int keyword_tokens = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string text;
    for (size_t parts = 1 + next(6); parts > 0; --parts) text += next(2) ? keywords[next(keywords.size())] : glue[next(glue.size())];
    std::vector<pg::Token> tokens;
    std::string error;
    if (!pg::scan(text, &tokens, &error)) continue;
    const StatementWords found = statement_words(text);
    for (const pg::Token& t : tokens) {
      for (size_t k = 0; k < keywords.size(); ++k) {
        std::string lower = keywords[k];
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (t.kind != pg::TokenKind::Word || t.word != lower) continue;
        ++keyword_tokens;
        ASSERT_NE(found & (1u << k), 0u) << "missed " << lower << " in: " << text;
      }
    }
  }
  EXPECT_GT(keyword_tokens, 5000);  // the texts do hold the keywords the test is about
}

}  // namespace
}  // namespace blueshift::rewrite

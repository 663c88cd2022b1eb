// The planners' cheap pre-test (rewrite/staged_text.h): whether a text holds a word in any case.
#include "rewrite/staged_text.h"

#include <gtest/gtest.h>

#include <string>

namespace blueshift::rewrite::staged {
namespace {

TEST(StagedMentions, FindsTheWordInAnyCaseAnywhere) {
  EXPECT_TRUE(mentions("INSERT INTO t VALUES (1) ON CONFLICT (k) DO NOTHING", "conflict"));
  EXPECT_TRUE(mentions("insert into t values (1) on CoNfLiCt do nothing", "conflict"));
  EXPECT_TRUE(mentions("MERGE", "merge"));              // the whole text
  EXPECT_TRUE(mentions("/* etl */ copy t from stdin", "copy"));
  EXPECT_TRUE(mentions("select 1; Copy", "copy"));     // at the very end
  EXPECT_TRUE(mentions("ccopy", "copy"));               // after a false start
  EXPECT_TRUE(mentions("cocopy", "copy"));
}

TEST(StagedMentions, NothingElseCounts) {
  EXPECT_FALSE(mentions("SELECT abalance FROM pgbench_accounts WHERE aid = 1", "conflict"));
  EXPECT_FALSE(mentions("cop", "copy"));                // shorter than the word
  EXPECT_FALSE(mentions("", "copy"));
  EXPECT_FALSE(mentions("c o p y", "copy"));
  // Only ASCII letters fold: bytes of other characters never match a letter.
  EXPECT_FALSE(mentions("\xc3\x87OPY", "copy"));
  EXPECT_FALSE(mentions("#OPY", "copy"));
  EXPECT_FALSE(mentions(std::string("co\0py", 5), "copy"));
}

// Eight bytes are passed over at once: the word at every offset of a longer text, in
// either case, and false starts that fill a whole eight bytes.
TEST(StagedMentions, AtEveryOffsetOfALongText) {
  for (size_t at = 0; at + 8 <= 40; ++at) {
    std::string text(40, 'x');
    text.replace(at, 8, at % 2 ? "CONFLICT" : "conflict");
    EXPECT_TRUE(mentions(text, "conflict")) << text;
    text[at + 7] = 'x';
    EXPECT_FALSE(mentions(text, "conflict")) << text;
  }
  EXPECT_FALSE(mentions("cccccccccccccccccccccccc", "copy"));
  EXPECT_TRUE(mentions("CCCCCCCCCCCCCCCCCCCCCCCcopy", "copy"));
  EXPECT_TRUE(mentions("\x80\xa3\xc3" "COPcopYcopy", "copy"));
}

// Against the plain definition, over texts of letters that fold, their neighbours in the
// byte table ('@' and '`' sit next to the cases of a letter) and bytes past 0x7f.
TEST(StagedMentions, AgreesWithAByteByByteSearch) {
  const std::string alphabet = "cCoOpPyY@`\x83\xe3 ";
  const auto plain = [](std::string_view sql, std::string_view word) {
    std::string folded(sql);
    for (char& c : folded) c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    return folded.find(word) != std::string::npos;
  };
  uint32_t seed = 12345;
  for (int n = 0; n < 20000; ++n) {
    std::string text(seed % 30, ' ');
    for (char& c : text) {
      seed = seed * 1103515245 + 12345;
      c = alphabet[(seed >> 16) % alphabet.size()];
    }
    for (const std::string_view word : {"copy", "cop", "c", "yy"}) ASSERT_EQ(mentions(text, word), plain(text, word)) << text;
  }
}

}  // namespace
}  // namespace blueshift::rewrite::staged

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

}  // namespace
}  // namespace blueshift::rewrite::staged

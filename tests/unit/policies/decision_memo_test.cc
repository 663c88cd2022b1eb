// DecisionMemo on its own: entries are named by facts and scope, hold the facts, and stay
// bounded.
#include "policies/decision_memo.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace blueshift::policies {
namespace {

std::shared_ptr<const Decision> decision(Decision::Outcome outcome) {
  Decision d;
  d.outcome = outcome;
  return std::make_shared<const Decision>(d);
}

TEST(DecisionMemo, FindsWhatWasInsertedUnderTheSameFactsAndScope) {
  DecisionMemo memo;
  auto a = std::make_shared<const rewrite::QueryFacts>();
  auto b = std::make_shared<const rewrite::QueryFacts>();
  memo.insert(a, "x", decision(Decision::Outcome::Refuse));
  memo.insert(a, "y", decision(Decision::Outcome::Notice));
  ASSERT_NE(memo.find(a.get(), "x"), nullptr);
  EXPECT_EQ(memo.find(a.get(), "x")->outcome, Decision::Outcome::Refuse);
  EXPECT_EQ(memo.find(a.get(), "y")->outcome, Decision::Outcome::Notice);
  EXPECT_EQ(memo.find(a.get(), "z"), nullptr);
  EXPECT_EQ(memo.find(b.get(), "x"), nullptr);
  // The first decision stays (two threads deciding the same text decide alike).
  memo.insert(a, "x", decision(Decision::Outcome::Pass));
  EXPECT_EQ(memo.find(a.get(), "x")->outcome, Decision::Outcome::Refuse);
}

TEST(DecisionMemo, HoldsTheFactsItNames) {
  DecisionMemo memo;
  auto facts = std::make_shared<const rewrite::QueryFacts>();
  const std::weak_ptr<const rewrite::QueryFacts> watch = facts;
  const rewrite::QueryFacts* address = facts.get();
  memo.insert(std::move(facts), "s", decision(Decision::Outcome::Audit));
  EXPECT_FALSE(watch.expired());  // so no other facts can take the address while the entry lives
  EXPECT_NE(memo.find(address, "s"), nullptr);
}

TEST(DecisionMemo, StaysBounded) {
  DecisionMemo memo(128);
  std::vector<std::shared_ptr<const rewrite::QueryFacts>> kept;
  for (int i = 0; i < 1000; ++i) {
    kept.push_back(std::make_shared<const rewrite::QueryFacts>());
    memo.insert(kept.back(), "s", decision(Decision::Outcome::Pass));
    ASSERT_LE(memo.size(), 128u);
  }
  EXPECT_NE(memo.find(kept.back().get(), "s"), nullptr);  // the newest is always there
  DecisionMemo none(0);
  none.insert(kept.front(), "s", decision(Decision::Outcome::Pass));
  EXPECT_EQ(none.find(kept.front().get(), "s"), nullptr);
}

}  // namespace
}  // namespace blueshift::policies

// Decisions already made on cached analyses. A text sent again as is (a dashboard refresh,
// a script's loop) is analysed once thanks to the AnalysisCache, but evaluate() would
// still count its partitions and word its findings every time. The same facts under the
// same rules decide the same way, so the Governor keeps the decision with them.
//
// An entry is named by the facts' address and a scope key the Governor builds (which
// rules apply and, when a finding may name them, who asks). The entry holds the facts, so
// their address cannot be reused while it exists. Thread-safe; bounded: a full shard is
// emptied (the next checks decide afresh).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "policies/evaluate.h"
#include "rewrite/facts.h"

namespace blueshift::policies {

class DecisionMemo {
 public:
  explicit DecisionMemo(size_t max_entries = 10000);
  ~DecisionMemo();
  DecisionMemo(const DecisionMemo&) = delete;
  DecisionMemo& operator=(const DecisionMemo&) = delete;

  [[nodiscard]] std::shared_ptr<const Decision> find(const rewrite::QueryFacts* facts, const std::string& scope) const;
  void insert(std::shared_ptr<const rewrite::QueryFacts> facts, std::string scope, std::shared_ptr<const Decision> decision);
  [[nodiscard]] size_t size() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace blueshift::policies

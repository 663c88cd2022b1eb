#include "policies/decision_memo.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace blueshift::policies {
namespace {

struct Key {
  const rewrite::QueryFacts* facts;
  std::string scope;
  friend bool operator==(const Key&, const Key&) = default;
};

struct KeyHash {
  size_t operator()(const Key& k) const {
    return std::hash<const void*>{}(k.facts) * 31 + std::hash<std::string>{}(k.scope);
  }
};

struct Entry {
  std::shared_ptr<const rewrite::QueryFacts> facts;  // keeps the address in the key theirs
  std::shared_ptr<const Decision> decision;
};

struct Shard {
  mutable std::mutex mu;
  size_t capacity = 0;
  std::unordered_map<Key, Entry, KeyHash> entries;
};

}  // namespace

struct DecisionMemo::Impl {
  std::vector<std::unique_ptr<Shard>> shards;
  Shard& shard_for(const rewrite::QueryFacts* facts) const {
    return *shards[std::hash<const void*>{}(facts) % shards.size()];
  }
};

DecisionMemo::DecisionMemo(size_t max_entries) : impl_(std::make_unique<Impl>()) {
  const size_t n = max_entries == 0 ? 0 : std::min<size_t>(16, std::max<size_t>(1, max_entries / 64));
  for (size_t i = 0; i < n; ++i) {
    auto s = std::make_unique<Shard>();
    s->capacity = max_entries / n + (i < max_entries % n ? 1 : 0);
    impl_->shards.push_back(std::move(s));
  }
}

DecisionMemo::~DecisionMemo() = default;

std::shared_ptr<const Decision> DecisionMemo::find(const rewrite::QueryFacts* facts, const std::string& scope) const {
  if (impl_->shards.empty()) return nullptr;
  Shard& shard = impl_->shard_for(facts);
  std::lock_guard lock(shard.mu);
  const auto it = shard.entries.find(Key{facts, scope});
  return it == shard.entries.end() ? nullptr : it->second.decision;
}

void DecisionMemo::insert(std::shared_ptr<const rewrite::QueryFacts> facts, std::string scope,
                          std::shared_ptr<const Decision> decision) {
  if (impl_->shards.empty() || !facts || !decision) return;
  Shard& shard = impl_->shard_for(facts.get());
  std::lock_guard lock(shard.mu);
  if (shard.entries.size() >= shard.capacity) shard.entries.clear();
  Key key{facts.get(), std::move(scope)};
  shard.entries.try_emplace(std::move(key), Entry{std::move(facts), std::move(decision)});
}

size_t DecisionMemo::size() const {
  size_t total = 0;
  for (const auto& s : impl_->shards) {
    std::lock_guard lock(s->mu);
    total += s->entries.size();
  }
  return total;
}

}  // namespace blueshift::policies

// AnalysisCache: a sharded LRU. Each shard has its own mutex, list and index, so
// sessions on different io threads rarely wait for one another; analysis itself runs
// outside any lock (two threads missing on the same text both analyse it; the second
// insert is dropped).
#include <algorithm>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>
#include <atomic>
#include <functional>

#include "rewrite/analyzer.h"

namespace blueshift::rewrite {
namespace {

struct Entry {
  std::string key;
  std::shared_ptr<const QueryFacts> facts;
  size_t bytes = 0;  // what the entry holds, as charged against the shard's byte budget
};

struct Shard {
  std::mutex mu;
  size_t capacity = 0;        // entries
  size_t capacity_bytes = 0;
  size_t bytes = 0;
  std::list<Entry> lru;  // front = most recent
  std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
};

// Roughly what facts hold on the heap: enough to bound the cache in bytes, not exact.
size_t approx_bytes(const std::vector<std::string>& v) {
  size_t n = v.capacity() * sizeof(std::string);
  for (const auto& s : v) n += s.capacity() > 15 ? s.capacity() : 0;
  return n;
}

size_t approx_bytes(const Bound& b) {
  size_t n = sizeof(Bound) + b.values.size() * sizeof(Value);
  for (const auto& v : b.values) n += v.text.capacity() > 15 ? v.text.capacity() : 0;
  for (const auto& c : b.children) n += approx_bytes(c);
  return n;
}

size_t approx_bytes(const QueryFacts& f) {
  size_t n = sizeof(QueryFacts) + f.fingerprint.size();
  for (const auto& st : f.statements) {
    n += sizeof(StatementFacts) + st.error.size() + st.opaque.size() + approx_bytes(st.names) +
         approx_bytes(st.calls) + (st.writes.size() + st.objects.size()) * 128;
    for (const auto& scan : st.scans) {
      n += sizeof(Scan) + 64 + approx_bytes(scan.columns_read);
      for (const auto& [column, bound] : scan.bounds) n += 64 + approx_bytes(bound);
      for (const auto& d : scan.disjunctions) {
        for (const auto& branch : d) {
          for (const auto& [column, bound] : branch) n += 64 + approx_bytes(bound);
        }
      }
    }
  }
  return n;
}

// The key holds the whole text: a text longer than this is analysed each time rather
// than kept (a few such statements would otherwise hold megabytes each, for good).
constexpr size_t kMaxCachedKeyBytes = 64 * 1024;
constexpr size_t kEntryOverhead = 160;  // list node, index slot, shared_ptr control block

std::string cache_key(std::string_view sql, const AnalysisContext& context) {
  std::string key;
  size_t size = sql.size() + 4;
  for (const auto& s : context.search_path) size += s.size() + 1;
  key.reserve(size);
  key += context.case_sensitive_identifiers ? '1' : '0';
  for (const auto& s : context.search_path) {
    key += s;
    key += '\x1e';
  }
  key += '\x1f';
  key.append(sql);
  return key;
}

}  // namespace

struct AnalysisCache::Impl {
  std::vector<std::unique_ptr<Shard>> shards;
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> misses{0};

  Shard& shard_for(const std::string& key) { return *shards[std::hash<std::string>{}(key) % shards.size()]; }
};

AnalysisCache::AnalysisCache(size_t max_entries, size_t max_bytes) : impl_(std::make_unique<Impl>()) {
  const size_t n = max_entries == 0 ? 0 : std::min<size_t>(16, std::max<size_t>(1, max_entries / 64));
  for (size_t i = 0; i < n; ++i) {
    auto s = std::make_unique<Shard>();
    s->capacity = max_entries / n + (i < max_entries % n ? 1 : 0);
    s->capacity_bytes = max_bytes / n;
    impl_->shards.push_back(std::move(s));
  }
}

AnalysisCache::~AnalysisCache() = default;

namespace {

std::shared_ptr<const QueryFacts> lookup(Shard& shard, const std::string& key) {
  std::lock_guard<std::mutex> lock(shard.mu);
  auto it = shard.index.find(std::string_view(key));
  if (it == shard.index.end()) return nullptr;
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return it->second->facts;
}

void store(Shard& shard, std::string key, std::shared_ptr<const QueryFacts> facts) {
  if (key.size() > kMaxCachedKeyBytes) return;
  const size_t bytes = kEntryOverhead + key.capacity() + approx_bytes(*facts);
  if (bytes > shard.capacity_bytes) return;
  std::lock_guard<std::mutex> lock(shard.mu);
  if (shard.index.find(std::string_view(key)) != shard.index.end()) return;
  shard.lru.push_front(Entry{std::move(key), std::move(facts), bytes});
  shard.bytes += bytes;
  shard.index.emplace(std::string_view(shard.lru.front().key), shard.lru.begin());
  while (shard.lru.size() > shard.capacity || shard.bytes > shard.capacity_bytes) {
    shard.index.erase(std::string_view(shard.lru.back().key));
    shard.bytes -= shard.lru.back().bytes;
    shard.lru.pop_back();
  }
}

}  // namespace

std::shared_ptr<const QueryFacts> AnalysisCache::analyze(std::string_view sql, const AnalysisContext& context) {
  if (impl_->shards.empty()) {
    impl_->misses.fetch_add(1, std::memory_order_relaxed);
    return std::make_shared<const QueryFacts>(rewrite::analyze(sql, context));
  }
  std::string key = cache_key(sql, context);
  Shard& shard = impl_->shard_for(key);
  if (auto hit = lookup(shard, key)) {
    impl_->hits.fetch_add(1, std::memory_order_relaxed);
    return hit;
  }
  impl_->misses.fetch_add(1, std::memory_order_relaxed);
  auto facts = std::make_shared<const QueryFacts>(rewrite::analyze(sql, context));
  store(shard, std::move(key), facts);
  return facts;
}

std::shared_ptr<const QueryFacts> AnalysisCache::find(std::string_view sql, const AnalysisContext& context) {
  if (impl_->shards.empty()) return nullptr;
  const std::string key = cache_key(sql, context);
  auto hit = lookup(impl_->shard_for(key), key);
  (hit ? impl_->hits : impl_->misses).fetch_add(1, std::memory_order_relaxed);
  return hit;
}

void AnalysisCache::insert(std::string_view sql, const AnalysisContext& context,
                           std::shared_ptr<const QueryFacts> facts) {
  if (impl_->shards.empty() || !facts) return;
  std::string key = cache_key(sql, context);
  Shard& shard = impl_->shard_for(key);
  store(shard, std::move(key), std::move(facts));
}

size_t AnalysisCache::bytes() const {
  size_t total = 0;
  for (const auto& s : impl_->shards) {
    std::lock_guard<std::mutex> lock(s->mu);
    total += s->bytes;
  }
  return total;
}

size_t AnalysisCache::size() const {
  size_t total = 0;
  for (const auto& s : impl_->shards) {
    std::lock_guard<std::mutex> lock(s->mu);
    total += s->lru.size();
  }
  return total;
}

uint64_t AnalysisCache::hits() const { return impl_->hits.load(std::memory_order_relaxed); }
uint64_t AnalysisCache::misses() const { return impl_->misses.load(std::memory_order_relaxed); }

void AnalysisCache::clear() {
  for (auto& s : impl_->shards) {
    std::lock_guard<std::mutex> lock(s->mu);
    s->index.clear();
    s->lru.clear();
    s->bytes = 0;
  }
}

}  // namespace blueshift::rewrite

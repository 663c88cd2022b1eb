// AnalysisCache: hits, misses, LRU bound, keys that separate contexts, and concurrent use.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "rewrite/analyzer.h"
#include "rewrite/facts_text.h"

namespace blueshift::rewrite {
namespace {

TEST(AnalysisCache, HitsAndMisses) {
  AnalysisCache cache(100);
  AnalysisContext ctx;
  auto a = cache.analyze("SELECT * FROM spectrum_schema.sales WHERE year = 1", ctx);
  auto b = cache.analyze("SELECT * FROM spectrum_schema.sales WHERE year = 1", ctx);
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(cache.hits(), 1u);
  EXPECT_EQ(cache.misses(), 1u);
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(describe(*a), "Select: read spectrum_schema.sales WHERE year = 1");
}

TEST(AnalysisCache, FindAndInsert) {
  AnalysisCache cache(100);
  AnalysisContext ctx;
  const char* sql = "SELECT * FROM spectrum_schema.sales WHERE year = 2";
  EXPECT_EQ(cache.find(sql, ctx), nullptr);  // find never analyses
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.misses(), 1u);
  auto analysed = cache.analyze(sql, ctx);
  EXPECT_EQ(cache.find(sql, ctx).get(), analysed.get());
  EXPECT_EQ(cache.hits(), 1u);

  // Facts derived elsewhere are returned as given, for that text only.
  auto derived = std::make_shared<const QueryFacts>(analyze("SELECT 1", ctx));
  cache.insert("SELECT * FROM t WHERE x = 7", ctx, derived);
  EXPECT_EQ(cache.find("SELECT * FROM t WHERE x = 7", ctx).get(), derived.get());
  EXPECT_EQ(cache.analyze("SELECT * FROM t WHERE x = 7", ctx).get(), derived.get());
  EXPECT_EQ(cache.find("SELECT * FROM t WHERE x = 8", ctx), nullptr);
  // A text already cached keeps its entry.
  cache.insert(sql, ctx, derived);
  EXPECT_EQ(cache.find(sql, ctx).get(), analysed.get());
  EXPECT_EQ(cache.size(), 2u);
}

TEST(AnalysisCache, KeyIncludesSearchPathAndCaseSensitivity) {
  AnalysisCache cache(100);
  AnalysisContext pub;
  AnalysisContext spectrum;
  spectrum.search_path = {"spectrum_schema"};
  AnalysisContext sensitive;
  sensitive.case_sensitive_identifiers = true;
  EXPECT_EQ(describe(*cache.analyze("SELECT * FROM \"Sales\"", pub)), "Select: read public.sales");
  EXPECT_EQ(describe(*cache.analyze("SELECT * FROM \"Sales\"", spectrum)), "Select: read spectrum_schema.sales");
  EXPECT_EQ(describe(*cache.analyze("SELECT * FROM \"Sales\"", sensitive)), "Select: read public.Sales");
  EXPECT_EQ(cache.misses(), 3u);
  EXPECT_EQ(cache.size(), 3u);
}

TEST(AnalysisCache, BoundedLeastRecentlyUsed) {
  AnalysisCache cache(4);  // one shard at this size: exact LRU
  AnalysisContext ctx;
  for (int i = 0; i < 4; ++i) (void)cache.analyze("SELECT " + std::to_string(i), ctx);
  (void)cache.analyze("SELECT 0", ctx);  // refresh 0
  (void)cache.analyze("SELECT 4", ctx);  // evicts 1, the least recently used
  EXPECT_EQ(cache.size(), 4u);
  const uint64_t misses = cache.misses();
  (void)cache.analyze("SELECT 0", ctx);
  EXPECT_EQ(cache.misses(), misses);
  (void)cache.analyze("SELECT 1", ctx);
  EXPECT_EQ(cache.misses(), misses + 1);
  for (int i = 0; i < 1000; ++i) (void)cache.analyze("SELECT " + std::to_string(100 + i), ctx);
  EXPECT_EQ(cache.size(), 4u);
}

TEST(AnalysisCache, ManyShardsStayWithinCapacity) {
  AnalysisCache cache(1000);
  AnalysisContext ctx;
  for (int i = 0; i < 3000; ++i) (void)cache.analyze("SELECT " + std::to_string(i), ctx);
  EXPECT_EQ(cache.size(), 1000u);
}

// Bounded in bytes, whatever the entry count allows: 500 KB texts (issue 10 saw 1,000 of
// them add ~980 MB) are never kept, and smaller ones only up to the byte budget.
TEST(AnalysisCache, BoundedInBytes) {
  AnalysisCache cache(100000, 1u << 20);  // 16 shards of 64 KiB
  AnalysisContext ctx;
  const std::string padding(500 * 1000, ' ');
  for (int i = 0; i < 20; ++i) (void)cache.analyze("SELECT " + std::to_string(i) + padding, ctx);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
  const std::string medium(20 * 1000, ' ');
  for (int i = 0; i < 2000; ++i) (void)cache.analyze("SELECT " + std::to_string(i) + medium, ctx);
  EXPECT_GT(cache.size(), 0u);
  EXPECT_LE(cache.bytes(), size_t{1} << 20);
  EXPECT_LE(cache.size(), (size_t{1} << 20) / (20 * 1000));
  cache.clear();
  EXPECT_EQ(cache.bytes(), 0u);
}

// A text over AnalysisContext::max_bytes is not parsed: Unparsed, with its names, at once.
TEST(AnalysisCache, TextsOverTheLimitAreNotParsed) {
  AnalysisContext ctx;
  ctx.max_bytes = 1000;
  std::string sql = "SELECT count(*) FROM spectrum_schema.sales WHERE year = 2024 AND (sale_id = 0";
  for (int i = 1; i < 100; ++i) sql += " OR sale_id = " + std::to_string(i);
  sql += ")";
  const QueryFacts f = analyze(sql, ctx);
  ASSERT_EQ(f.statements.size(), 1u);
  EXPECT_EQ(f.statements[0].kind, StatementKind::Unparsed);
  EXPECT_EQ(f.statements[0].error,
            "statement too large to analyse: " + std::to_string(sql.size()) + " bytes, the limit is 1000");
  EXPECT_NE(std::find(f.statements[0].names.begin(), f.statements[0].names.end(), "spectrum_schema.sales"),
            f.statements[0].names.end());
  ctx.max_bytes = sql.size();
  EXPECT_EQ(analyze(sql, ctx).statements[0].kind, StatementKind::Select);
}

TEST(AnalysisCache, ZeroCapacityStillAnalyses) {
  AnalysisCache cache(0);
  EXPECT_EQ(describe(*cache.analyze("SELECT * FROM t", AnalysisContext{})), "Select: read public.t");
  EXPECT_EQ(cache.size(), 0u);
}

TEST(AnalysisCache, ClearDropsEverything) {
  AnalysisCache cache(10);
  (void)cache.analyze("SELECT 1", AnalysisContext{});
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  (void)cache.analyze("SELECT 1", AnalysisContext{});
  EXPECT_EQ(cache.misses(), 2u);
}

TEST(AnalysisCache, ConcurrentUse) {
  AnalysisCache cache(64);
  AnalysisContext ctx;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const int k = (i * 7 + t) % 100;
        auto f = cache.analyze("SELECT * FROM spectrum_schema.sales WHERE year = " + std::to_string(k), ctx);
        if (describe(*f) != "Select: read spectrum_schema.sales WHERE year = " + std::to_string(k)) ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(cache.hits() + cache.misses(), 2000u);
  EXPECT_LE(cache.size(), 64u);
}

}  // namespace
}  // namespace blueshift::rewrite

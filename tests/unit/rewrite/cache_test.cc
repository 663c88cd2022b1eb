// AnalysisCache: hits, misses, LRU bound, keys that separate contexts, and concurrent use.
#include <gtest/gtest.h>

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

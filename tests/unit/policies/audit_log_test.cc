// Audit lines: each field parsed back from the JSON, the timestamp from the injected
// clock, and whole lines when many threads write at once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "fixtures.h"
#include "nlohmann/json.hpp"
#include "policies/audit_log.h"

namespace blueshift::policies {
namespace {

using namespace testing;
using nlohmann::json;

std::chrono::system_clock::time_point at(int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

TEST(AuditLog, Iso8601) {
  EXPECT_EQ(iso8601_utc(at(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso8601_utc(at(1714564800123)), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(iso8601_utc(at(-1)), "1969-12-31T23:59:59.999Z");
}

struct LineRow {
  const char* name;
  QueryFacts facts;
  SessionFacts who;
  const char* outcome;
  const char* rule;
  const char* mode;
  std::vector<std::string> tables;
  size_t findings;
};

TEST(AuditLog, LineFields) {
  const PolicySet p = policy(kDemoPolicies);
  const Catalog c = demo_catalog();
  SessionFacts tableau = analyst();
  tableau.application_name = "Tableau 2024.1";
  tableau.client_address = "10.1.2.3";
  const LineRow rows[] = {
      {"refused", facts({select({scan("spectrum_schema.sales")})}, "fp-1"), tableau, "refused",
       "analysts-must-filter-partitions", "enforce", {"spectrum_schema.sales"}, 2},  // and max_partitions
      {"warned", facts({select({scan("spectrum_schema.countries", {}, true)})}, "fp-2"), tableau, "warned",
       "no-select-star-on-lake", "warn", {"spectrum_schema.countries"}, 1},
      {"two tables, three findings",
       facts({select({scan("spectrum_schema.sales"), scan("spectrum_schema.clicks")})}, "fp-3"), tableau, "refused",
       "analysts-must-filter-partitions", "enforce", {"spectrum_schema.sales", "spectrum_schema.clicks"}, 3},
      {"a statement without table", facts({statement(rewrite::StatementKind::Delete, {"public.t"})}, "fp-4"), tableau,
       "refused", "analysts-no-ddl-on-public", "enforce", {"public.t"}, 1},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const Decision d = evaluate(p, row.facts, row.who, c);
    const std::string line = audit_line(d, row.who, row.facts.fingerprint, at(1714564800123));
    EXPECT_EQ(line.find('\n'), std::string::npos);
    const json j = json::parse(line);
    EXPECT_EQ(j["time"], "2024-05-01T12:00:00.123Z");
    EXPECT_EQ(j["user"], "analyst");
    EXPECT_EQ(j["application_name"], "Tableau 2024.1");
    EXPECT_EQ(j["client_address"], "10.1.2.3");
    EXPECT_EQ(j["database"], "dev");
    EXPECT_EQ(j["fingerprint"], row.facts.fingerprint);
    EXPECT_EQ(j["outcome"], row.outcome);
    EXPECT_EQ(j["rule"], row.rule);
    EXPECT_EQ(j["mode"], row.mode);
    EXPECT_EQ(j["tables"].get<std::vector<std::string>>(), row.tables);
    ASSERT_EQ(j["findings"].size(), row.findings);
    EXPECT_EQ(j["message"], d.shown()->message);
    EXPECT_EQ(j["detail"], d.shown()->detail);
    EXPECT_EQ(j["findings"][0]["rule"], d.findings[0].rule);
    EXPECT_EQ(j["findings"][0]["rule_type"], to_string(d.findings[0].type));
  }
}

TEST(AuditLog, AuditedNoteAndBadUtf8) {
  const PolicySet p = policy(
      "tables: [{name: spectrum_schema.sales, partition_columns: [year, month]}]\n"
      "rules: [{name: m, type: max_partitions, max: 5}]");
  SessionFacts who = session("us\xff" "er");  // invalid UTF-8 from a client must not stop the line
  const Decision d = evaluate(p, facts({select({scan("spectrum_schema.sales")})}), who, Catalog{});
  ASSERT_EQ(d.outcome, Decision::Outcome::Audit);
  const json j = json::parse(audit_line(d, who, "", at(0)));
  EXPECT_EQ(j["outcome"], "audited");
  EXPECT_EQ(j["mode"], "audit");
  EXPECT_EQ(j["findings"][0]["note"], true);
  EXPECT_EQ(j["user"], "us\xEF\xBF\xBD" "er");  // U+FFFD in place of the bad byte
}

TEST(AuditLog, FileGetsWholeLinesFromManyThreads) {
  char path[] = "/tmp/blueshift-audit-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  int64_t tick = 0;
  std::mutex tick_mutex;
  auto opened = AuditLog::open(path, [&] {
    std::lock_guard lock(tick_mutex);
    return at(1000 * ++tick);
  });
  ASSERT_TRUE(opened.ok()) << opened.status();
  auto& log = **opened;

  const PolicySet p = policy(kDemoPolicies);
  const Catalog c = demo_catalog();
  const Decision d = evaluate(p, facts({select({scan("spectrum_schema.sales")})}), analyst(), c);
  constexpr int kThreads = 8, kLines = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SessionFacts who = analyst();
      who.client_address = "thread-" + std::to_string(t);
      for (int i = 0; i < kLines; ++i) log.write(d, who, "fp");
    });
  }
  for (auto& th : threads) th.join();

  std::ifstream in(path);
  std::string line;
  int count = 0;
  std::map<std::string, int> per_thread;
  std::set<std::string> times;
  while (std::getline(in, line)) {
    const json j = json::parse(line);  // throws (fails the test) on a torn line
    ++per_thread[j["client_address"].get<std::string>()];
    times.insert(j["time"].get<std::string>());
    ++count;
  }
  EXPECT_EQ(count, kThreads * kLines);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(per_thread["thread-" + std::to_string(t)], kLines);
  EXPECT_EQ(times.size(), static_cast<size_t>(kThreads * kLines));  // each line stamped by the injected clock
  std::remove(path);
}

TEST(AuditLog, OpenFailsClearly) {
  auto opened = AuditLog::open("/nonexistent-dir/audit.jsonl", [] { return at(0); });
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(std::string(opened.status().message()).find("/nonexistent-dir/audit.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace blueshift::policies

// Audit lines: each field parsed back from the JSON, the timestamp from the injected
// clock, whole lines when many threads write at once, and the background writer: lines
// in order after a flush or close, callers never held up by a slow sink.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <fstream>
#include <sstream>
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
  log.flush();

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

// A sink that records what the writer hands it, and can be held closed (a slow disk).
struct RecordingSink {
  std::mutex mutex;
  std::condition_variable opened;
  bool open = true;
  int batches = 0;
  std::string text;
  AuditLog::Sink sink() {
    return [this](std::string_view lines) {
      std::unique_lock lock(mutex);
      ++batches;
      opened.wait(lock, [&] { return open; });
      text += lines;
    };
  }
  void set_open(bool o) {
    {
      std::lock_guard lock(mutex);
      open = o;
    }
    opened.notify_all();
  }
  int batches_seen() {
    std::lock_guard lock(mutex);
    return batches;
  }
  // The client_address of each line, in file order.
  std::vector<std::string> addresses() {
    std::lock_guard lock(mutex);
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line)["client_address"]);
    return out;
  }
};

struct Writes {
  Decision decision = evaluate(policy(kDemoPolicies), facts({select({scan("spectrum_schema.sales")})}), analyst(),
                               demo_catalog());
  // Writes lines numbered from..to-1 (the number is the client_address).
  void write(AuditLog& log, int from, int to) {
    SessionFacts who = analyst();
    for (int i = from; i < to; ++i) {
      who.client_address = std::to_string(i);
      log.write(decision, who, "fp");
    }
  }
};

std::vector<std::string> numbers(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back(std::to_string(i));
  return out;
}

TEST(AuditLog, LinesArriveInOrderAfterFlushAndClose) {
  RecordingSink recorded;
  Writes w;
  auto log = AuditLog::to_sink("test", recorded.sink(), [] { return at(0); });
  w.write(*log, 0, 500);
  log->flush();
  EXPECT_EQ(recorded.addresses(), numbers(0, 500));
  w.write(*log, 500, 1000);
  log.reset();  // closing writes everything still queued
  EXPECT_EQ(recorded.addresses(), numbers(0, 1000));
}

TEST(AuditLog, SlowSinkDoesNotBlockCallers) {
  RecordingSink recorded;
  Writes w;
  const size_t line_size = audit_line(w.decision, analyst(), "fp", at(0)).size() + 1;
  AuditLimits limits;
  limits.max_queued_bytes = 100 * line_size;  // about 100 lines
  auto log = AuditLog::to_sink("test", recorded.sink(), [] { return at(0); }, limits);
  recorded.set_open(false);
  auto writes = std::async(std::launch::async, [&] {
    w.write(*log, 0, 1);
    while (recorded.batches_seen() == 0) std::this_thread::yield();  // the writer is stuck in the sink
    // 1,000 more lines while the sink is stuck: none waits for it, the overflow is dropped.
    w.write(*log, 1, 1001);
  });
  const bool returned = writes.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  const uint64_t dropped = log->dropped();
  recorded.set_open(true);
  ASSERT_TRUE(returned) << "a caller waited for the sink";
  EXPECT_GE(dropped, 1000u - 100u);
  EXPECT_LT(dropped, 1000u);
  log->flush();
  // What was kept is the first lines, in order.
  const auto kept = recorded.addresses();
  EXPECT_EQ(kept, numbers(0, static_cast<int>(1001 - dropped)));
}

TEST(AuditLog, OpenFailsClearly) {
  auto opened = AuditLog::open("/nonexistent-dir/audit.jsonl", [] { return at(0); });
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(std::string(opened.status().message()).find("/nonexistent-dir/audit.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace blueshift::policies

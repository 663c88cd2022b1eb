// The audit trail: one JSON line per decision that is not a plain pass (refused, warned,
// audited), appended to a file shared by every session. The checking thread (a proxy I/O
// thread) only builds the line and queues it: a background writer thread of the log
// writes and flushes, so a slow disk never stalls a session. The queue is bounded; a line
// that does not fit is dropped and counted, and the count is logged once per interval.
// Lines reach the file whole and in the order they were queued; the destructor writes
// everything still queued.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "absl/status/statusor.h"
#include "policies/evaluate.h"

namespace blueshift::policies {

using Clock = std::function<std::chrono::system_clock::time_point()>;

// "refused", "warned", "audited" ("passed" for Pass, which is never logged).
[[nodiscard]] const char* outcome_word(Decision::Outcome outcome);

// 2024-05-01T12:00:00.123Z
[[nodiscard]] std::string iso8601_utc(std::chrono::system_clock::time_point t);

// The JSON text (no newline) of one decision: time, user, application_name,
// client_address, database, fingerprint, tables, rule, rule_type, mode, outcome, message,
// detail, and findings (every rule that fired); groups_unknown when the session's groups
// were not known (every group-scoped rule was applied).
[[nodiscard]] std::string audit_line(const Decision& decision, const SessionFacts& session,
                                     const std::string& fingerprint, std::chrono::system_clock::time_point now);

// How far the audit writer may fall behind, and how often drops are logged.
struct AuditLimits {
  size_t max_queued_bytes = size_t{4} << 20;  // lines waiting for the writer
  std::chrono::milliseconds drop_report_interval{10000};
};

class AuditLog {
 public:
  // Receives a batch of whole lines (each ending in '\n') on the writer thread, and must
  // have made them durable as far as it cares to (the file sink writes and flushes).
  using Sink = std::function<void(std::string_view lines)>;
  using Limits = AuditLimits;

  // Opens (creates) the file for appending.
  static absl::StatusOr<std::unique_ptr<AuditLog>> open(const std::string& path, Clock clock, Limits limits = {});
  // Lines go to `sink` (tests: a slow or recording sink).
  static std::unique_ptr<AuditLog> to_sink(std::string name, Sink sink, Clock clock, Limits limits = {});
  // Writes every queued line, then stops the writer.
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Never blocks on the sink: queues the line, or drops it when the queue is full.
  void write(const Decision& decision, const SessionFacts& session, const std::string& fingerprint);
  // The same for a line another component built (one JSON object, no newline), e.g.
  // routing's line per routed statement.
  void write_line(std::string json);
  // Blocks until every line queued before the call has been handed to the sink.
  void flush();
  [[nodiscard]] uint64_t dropped() const;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  AuditLog(std::string path, Sink sink, Clock clock, Limits limits);
  void enqueue(std::string line);
  void run();
  [[nodiscard]] uint64_t drops_to_report(std::chrono::steady_clock::time_point now);

  const std::string path_;
  const Sink sink_;
  const Clock clock_;
  const Limits limits_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the writer: lines queued, or stopping
  std::condition_variable written_;  // flush(): the writer finished a batch
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  uint64_t queued_total_ = 0;   // lines ever queued
  uint64_t written_total_ = 0;  // lines ever handed to the sink
  uint64_t dropped_ = 0;
  uint64_t dropped_reported_ = 0;
  std::chrono::steady_clock::time_point last_report_{};
  bool stopping_ = false;
  std::thread writer_;  // last: started once everything above exists
};

}  // namespace blueshift::policies

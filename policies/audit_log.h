// The audit trail: one JSON line per decision that is not a plain pass (refused, warned,
// audited), appended to a file shared by every session. Lines are whole: each is built
// first and written under a lock, then flushed, so a crash loses at most the line being
// written and concurrent sessions never interleave.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

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
// detail, and findings (every rule that fired).
[[nodiscard]] std::string audit_line(const Decision& decision, const SessionFacts& session,
                                     const std::string& fingerprint, std::chrono::system_clock::time_point now);

class AuditLog {
 public:
  // Opens (creates) the file for appending.
  static absl::StatusOr<std::unique_ptr<AuditLog>> open(const std::string& path, Clock clock);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  void write(const Decision& decision, const SessionFacts& session, const std::string& fingerprint);
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  AuditLog(std::string path, std::FILE* file, Clock clock);
  std::string path_;
  std::FILE* file_;
  Clock clock_;
  std::mutex mutex_;
};

}  // namespace blueshift::policies

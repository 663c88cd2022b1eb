// The audit line of one rewritten statement (issue 12: staged upserts, MERGE, upsert
// COPY): which table, in which form, how many rows, how it ended and after how many
// retries. It goes to the audit file beside the policy decisions' lines (audit_log.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "policies/governor.h"

namespace blueshift::policies {

struct RewriteRecord {
  std::string table;     // the target as the client wrote it
  std::string form;      // on_conflict, merge, copy
  uint64_t rows = 0;     // the client's tag's count
  std::string outcome;   // ok, error, unfinished (the session ended first)
  std::string sqlstate;  // the client's error, for outcome error
  uint32_t retries = 0;  // staged transactions run again after a serialization failure
};

// The JSON text (no newline): time, user, application_name, client_address, database,
// event "rewrite", and the record's fields.
[[nodiscard]] std::string rewrite_audit_line(const RewriteRecord& record, const SessionContext& session,
                                             std::chrono::system_clock::time_point now);

}  // namespace blueshift::policies

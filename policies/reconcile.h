// Reconcile: what statements really scanned, beside what the proxy estimated.
//
// Redshift records each Spectrum query's scan in SVL_S3QUERY_SUMMARY (query, pid,
// starttime, s3_scanned_bytes, one row per segment and step; SYS_EXTERNAL_QUERY_DETAIL on
// Serverless). The proxy cannot learn a statement's query id without a round trip
// (pg_last_query_id() after it), so estimates are matched by the session's server
// process and time instead: one session runs one statement at a time, so the first query
// of that pid to start after a statement was checked, and before the session's next
// recorded statement was, is that statement. `slack` allows for the proxy's and the
// warehouse's clocks differing. Only statements the policies let run, that read some
// partition, and whose session's pid is known are recorded.
//
// Pure pieces here: the bounded queue estimates wait in, and the matching. The job that
// reads the view and writes the results over the service connection: reconcile_job.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "policies/cost_settings.h"

namespace blueshift::policies {

using TimePoint = std::chrono::system_clock::time_point;

// One statement let run, as estimated when it was checked.
struct EstimateRecord {
  TimePoint checked_at;
  int32_t backend_pid = 0;
  std::string user;
  std::string fingerprint;
  int64_t bytes = 0;         // estimated bytes read
  int64_t billed_bytes = 0;  // rounded, with the per-query minimum
  double usd = 0;
};

// One query as the warehouse's view reports it, summed over its rows.
struct ScannedQuery {
  int64_t query = 0;
  int32_t pid = 0;
  TimePoint started_at;
  int64_t scanned_bytes = 0;
};

struct Reconciled {
  EstimateRecord estimate;
  int64_t query = 0;
  int64_t actual_bytes = 0;
  // (estimated - actual) / actual: +1 is twice the real scan, -0.5 half of it; nullopt
  // when the query scanned nothing.
  std::optional<double> error_ratio;
};

struct MatchResult {
  std::vector<Reconciled> matched;
  std::vector<EstimateRecord> waiting;  // not in the view yet: try again next round
  size_t expired = 0;                   // waited max_wait_seconds in vain: dropped
};

// Pairs estimates with queries (see the header comment). Each query matches at most once:
// `taken` holds the queries earlier rounds matched, and gets this round's. An estimate
// left unmatched when a later one of its session matched will not match: its statement
// scanned nothing the view shows (it failed, or was cancelled before scanning).
[[nodiscard]] MatchResult match_estimates(std::vector<EstimateRecord> pending, const std::vector<ScannedQuery>& queries,
                                          TimePoint now, const ReconcileSettings& settings, std::set<int64_t>* taken);

// The mean error ratio of the matched ones that have one (nullopt: none).
[[nodiscard]] std::optional<double> mean_error(const std::vector<Reconciled>& matched);

// Where checked statements wait for the job. Bounded: beyond max_records new ones are
// dropped and counted (the job logs the count).
class EstimateRecorder {
 public:
  explicit EstimateRecorder(size_t max_records = 100000) : max_records_(max_records) {}
  void record(EstimateRecord r);
  [[nodiscard]] std::vector<EstimateRecord> take();
  [[nodiscard]] uint64_t take_dropped();

 private:
  const size_t max_records_;
  std::mutex mutex_;
  std::vector<EstimateRecord> records_;
  uint64_t dropped_ = 0;
};

}  // namespace blueshift::policies

// The reconcile job (policies/reconcile.h): a background thread that, every
// interval_seconds, reads the warehouse's record of recent Spectrum queries over the
// service connection, matches the recorded estimates to it, appends estimate beside
// actual to a table it creates if missing, and logs the mean error ratio.
//
// The view is read as SVL_S3QUERY_SUMMARY is shaped: query, pid, starttime (UTC) and
// s3_scanned_bytes, summed per query. The results table (policies.cost.reconcile.table):
//   checked_at timestamp, user_name varchar(128), backend_pid int, fingerprint varchar(64),
//   query bigint, estimated_bytes bigint, billed_bytes bigint, estimated_usd float8,
//   actual_bytes bigint, error_ratio float8
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "policies/reconcile.h"
#include "policies/reconcile_stats.h"

namespace blueshift::policies {

// One round against the warehouse: reads the view from the oldest pending estimate on,
// matches, and writes the matched rows. On error nothing is written and `pending` is
// returned whole as waiting (tried again next round).
[[nodiscard]] absl::StatusOr<MatchResult> reconcile_round(const std::string& conninfo,
                                                          std::vector<EstimateRecord> pending,
                                                          const ReconcileSettings& settings, TimePoint now,
                                                          std::set<int64_t>* taken);

class ReconcileJob {
 public:
  // settings: read each round (a reload may turn reconcile on or off).
  // stats: each round's outcome is added to it (for /metrics).
  ReconcileJob(std::string conninfo, std::function<ReconcileSettings()> settings,
               std::shared_ptr<EstimateRecorder> recorder, std::shared_ptr<ReconcileStats> stats);
  ~ReconcileJob();  // stops the thread (a round in progress finishes first)
  ReconcileJob(const ReconcileJob&) = delete;
  ReconcileJob& operator=(const ReconcileJob&) = delete;

 private:
  void run();
  void round(const ReconcileSettings& settings);

  const std::string conninfo_;
  const std::function<ReconcileSettings()> settings_;
  const std::shared_ptr<EstimateRecorder> recorder_;
  const std::shared_ptr<ReconcileStats> stats_;
  std::vector<EstimateRecord> waiting_;
  std::set<int64_t> taken_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace blueshift::policies

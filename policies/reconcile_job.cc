#include "policies/reconcile_job.h"

#include <libpq-fe.h>

#include <cmath>
#include <cstdio>

#include "absl/status/status.h"
#include "spdlog/spdlog.h"

namespace blueshift::policies {
namespace {

struct Closer {
  void operator()(PGconn* c) const { PQfinish(c); }
  void operator()(PGresult* r) const { PQclear(r); }
};
using Conn = std::unique_ptr<PGconn, Closer>;
using Result = std::unique_ptr<PGresult, Closer>;

double epoch_seconds(TimePoint t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}
TimePoint from_epoch_seconds(double s) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::duration<double>(s)));
}

// Runs sql with text parameters (nullopt: NULL); an error names the statement's start.
absl::StatusOr<Result> exec(PGconn* conn, const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  std::vector<const char*> p;
  for (const auto& v : params) p.push_back(v ? v->c_str() : nullptr);
  Result r(PQexecParams(conn, sql.c_str(), static_cast<int>(p.size()), nullptr, p.empty() ? nullptr : p.data(),
                        nullptr, nullptr, 0));
  const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return absl::UnavailableError("reconcile: " + sql.substr(0, 60) + "...: " + PQerrorMessage(conn));
  }
  return r;
}

absl::StatusOr<std::vector<ScannedQuery>> read_view(PGconn* conn, const ReconcileSettings& s, TimePoint since) {
  const std::string sql =
      "SELECT query, pid, extract(epoch from min(starttime)), sum(s3_scanned_bytes)::bigint FROM " + s.view +
      " WHERE starttime >= timestamp 'epoch' + $1::float8 * interval '1 second' GROUP BY query, pid";
  auto r = exec(conn, sql, {std::to_string(epoch_seconds(since))});
  if (!r.ok()) return r.status();
  std::vector<ScannedQuery> out;
  for (int i = 0; i < PQntuples(r->get()); ++i) {
    ScannedQuery q;
    q.query = std::strtoll(PQgetvalue(r->get(), i, 0), nullptr, 10);
    q.pid = static_cast<int32_t>(std::strtol(PQgetvalue(r->get(), i, 1), nullptr, 10));
    q.started_at = from_epoch_seconds(std::strtod(PQgetvalue(r->get(), i, 2), nullptr));
    q.scanned_bytes = std::strtoll(PQgetvalue(r->get(), i, 3), nullptr, 10);
    out.push_back(q);
  }
  return out;
}

absl::Status write_matched(PGconn* conn, const ReconcileSettings& s, const std::vector<Reconciled>& matched) {
  auto created = exec(conn,
                      "CREATE TABLE IF NOT EXISTS " + s.table +
                          " (checked_at timestamp, user_name varchar(128), backend_pid int, fingerprint varchar(64), "
                          "query bigint, estimated_bytes bigint, billed_bytes bigint, estimated_usd float8, "
                          "actual_bytes bigint, error_ratio float8)",
                      {});
  if (!created.ok()) return created.status();
  const std::string insert = "INSERT INTO " + s.table +
                             " VALUES (timestamp 'epoch' + $1::float8 * interval '1 second', $2, $3, $4, $5, $6, $7, "
                             "$8, $9, $10)";
  for (const auto& m : matched) {
    const EstimateRecord& e = m.estimate;
    char usd[32];
    std::snprintf(usd, sizeof usd, "%.9f", e.usd);
    auto r = exec(conn, insert,
                  {std::to_string(epoch_seconds(e.checked_at)), e.user, std::to_string(e.backend_pid), e.fingerprint,
                   std::to_string(m.query), std::to_string(e.bytes), std::to_string(e.billed_bytes), usd,
                   std::to_string(m.actual_bytes),
                   m.error_ratio ? std::optional<std::string>(std::to_string(*m.error_ratio)) : std::nullopt});
    if (!r.ok()) return r.status();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<MatchResult> reconcile_round(const std::string& conninfo, std::vector<EstimateRecord> pending,
                                            const ReconcileSettings& settings, TimePoint now,
                                            std::set<int64_t>* taken) {
  if (pending.empty()) return MatchResult{};
  Conn conn(PQconnectdb(conninfo.c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK)
    return absl::UnavailableError(std::string("reconcile: connection failed: ") + PQerrorMessage(conn.get()));
  TimePoint since = pending.front().checked_at;
  for (const auto& e : pending) since = std::min(since, e.checked_at);
  auto queries = read_view(conn.get(), settings, since - std::chrono::seconds(settings.slack_seconds));
  if (!queries.ok()) return queries.status();
  // Queries no longer in the view's window cannot be matched again: forget them.
  std::set<int64_t> still;
  for (const auto& q : *queries) {
    if (taken->count(q.query)) still.insert(q.query);
  }
  *taken = std::move(still);
  std::set<int64_t> round_taken = *taken;
  MatchResult result = match_estimates(std::move(pending), *queries, now, settings, &round_taken);
  if (auto written = write_matched(conn.get(), settings, result.matched); !written.ok()) return written;
  *taken = std::move(round_taken);
  return result;
}

ReconcileJob::ReconcileJob(std::string conninfo, std::function<ReconcileSettings()> settings,
                           std::shared_ptr<EstimateRecorder> recorder, std::shared_ptr<ReconcileStats> stats)
    : conninfo_(std::move(conninfo)), settings_(std::move(settings)), recorder_(std::move(recorder)),
      stats_(std::move(stats)) {
  thread_ = std::thread([this] { run(); });
}

ReconcileJob::~ReconcileJob() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void ReconcileJob::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    const ReconcileSettings settings = settings_();
    const auto interval = std::chrono::seconds(settings.view.empty() ? 5 : settings.interval_seconds);
    wake_.wait_for(lock, interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    round(settings_());
    lock.lock();
  }
}

void ReconcileJob::round(const ReconcileSettings& settings) {
  std::vector<EstimateRecord> pending = std::move(waiting_);
  waiting_.clear();
  for (auto& e : recorder_->take()) pending.push_back(std::move(e));
  if (const uint64_t dropped = recorder_->take_dropped())
    spdlog::warn("reconcile: {} estimates dropped (the queue was full)", dropped);
  if (settings.view.empty() || pending.empty()) return;
  auto result = reconcile_round(conninfo_, pending, settings, std::chrono::system_clock::now(), &taken_);
  if (!result.ok()) {
    spdlog::warn("{}", std::string(result.status().message()));
    waiting_ = std::move(pending);
    return;
  }
  waiting_ = std::move(result->waiting);
  if (result->matched.empty() && result->expired == 0) return;
  stats_->add(*result);
  const auto mean = mean_error(result->matched);
  char error[32] = "n/a";
  if (mean) std::snprintf(error, sizeof error, "%+.1f%%", *mean * 100);
  spdlog::info("reconcile: {} statements matched to {}, mean estimate error {}; {} unmatched dropped, {} waiting",
               result->matched.size(), settings.view, error, result->expired, waiting_.size());
}

}  // namespace blueshift::policies

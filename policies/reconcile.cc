#include "policies/reconcile.h"

#include <algorithm>
#include <map>
#include <utility>

namespace blueshift::policies {

MatchResult match_estimates(std::vector<EstimateRecord> pending, const std::vector<ScannedQuery>& queries,
                            TimePoint now, const ReconcileSettings& settings, std::set<int64_t>* taken) {
  const auto slack = std::chrono::seconds(settings.slack_seconds);
  const auto max_wait = std::chrono::seconds(settings.max_wait_seconds);
  std::stable_sort(pending.begin(), pending.end(), [](const EstimateRecord& a, const EstimateRecord& b) {
    return a.backend_pid != b.backend_pid ? a.backend_pid < b.backend_pid : a.checked_at < b.checked_at;
  });
  std::multimap<int32_t, const ScannedQuery*> by_pid;
  for (const auto& q : queries) by_pid.emplace(q.pid, &q);
  MatchResult out;
  std::vector<size_t> unmatched;  // indices into pending
  for (size_t i = 0; i < pending.size(); ++i) {
    const EstimateRecord& e = pending[i];
    const bool has_next = i + 1 < pending.size() && pending[i + 1].backend_pid == e.backend_pid;
    const TimePoint from = e.checked_at - slack;
    const ScannedQuery* best = nullptr;
    const auto [lo, hi] = by_pid.equal_range(e.backend_pid);
    for (auto it = lo; it != hi; ++it) {
      const ScannedQuery* q = it->second;
      const bool in_window = q->started_at >= from && (!has_next || q->started_at < pending[i + 1].checked_at - slack);
      if (!in_window || taken->count(q->query) > 0) continue;
      if (best == nullptr || q->started_at < best->started_at) best = q;
    }
    if (best == nullptr) {
      unmatched.push_back(i);
      continue;
    }
    taken->insert(best->query);
    Reconciled r{e, best->query, best->scanned_bytes, std::nullopt};
    if (best->scanned_bytes > 0)
      r.error_ratio = static_cast<double>(e.bytes - best->scanned_bytes) / static_cast<double>(best->scanned_bytes);
    out.matched.push_back(std::move(r));
  }
  std::map<int32_t, TimePoint> last_matched;  // per session
  for (const auto& r : out.matched) {
    auto& t = last_matched[r.estimate.backend_pid];
    t = std::max(t, r.estimate.checked_at);
  }
  for (size_t i : unmatched) {
    const EstimateRecord& e = pending[i];
    const auto later = last_matched.find(e.backend_pid);
    const bool closed = later != last_matched.end() && later->second > e.checked_at;
    if (closed || now - e.checked_at > max_wait) {
      ++out.expired;
    } else {
      out.waiting.push_back(e);
    }
  }
  return out;
}

std::optional<double> mean_error(const std::vector<Reconciled>& matched) {
  double sum = 0;
  size_t n = 0;
  for (const auto& r : matched) {
    if (!r.error_ratio) continue;
    sum += *r.error_ratio;
    ++n;
  }
  if (n == 0) return std::nullopt;
  return sum / static_cast<double>(n);
}

void EstimateRecorder::record(EstimateRecord r) {
  std::lock_guard lock(mutex_);
  if (records_.size() >= max_records_) {
    ++dropped_;
    return;
  }
  records_.push_back(std::move(r));
}

std::vector<EstimateRecord> EstimateRecorder::take() {
  std::lock_guard lock(mutex_);
  return std::exchange(records_, {});
}

uint64_t EstimateRecorder::take_dropped() {
  std::lock_guard lock(mutex_);
  return std::exchange(dropped_, 0);
}

}  // namespace blueshift::policies

// Where each tier pair's local data begins now (its split day), for the router: a fixed
// date, a period back from today, or a watermark query read on the catalog's service
// connection by a thread of its own, every refresh_seconds.
//
// The split only ever errs late: a watermark not read yet, or whose last good read is
// older than max_age_seconds (the warehouse is down, the query fails), is no split at all,
// and every scan then reads the external table, which holds the whole history. A period
// back from today is taken a day late, so that the proxy's and the warehouse's dates may
// differ by a day.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "proxy/tier_settings.h"

namespace blueshift::proxy {

class TierSplits {
 public:
  // Runs a watermark query: its one value (nullopt: no row or NULL, an empty local table).
  using Reader = std::function<absl::StatusOr<std::optional<std::string>>(const std::string& query)>;
  using Clock = std::function<absl::Time()>;

  // tiers must outlive this. Nothing is read until start() or read_due().
  TierSplits(const std::vector<TierSettings>& tiers, Reader reader, Clock clock = absl::Now);
  ~TierSplits();  // stops the reading thread
  TierSplits(const TierSplits&) = delete;
  TierSplits& operator=(const TierSplits&) = delete;

  // Starts the thread that reads each watermark every refresh_seconds (none: no thread).
  void start();
  // Stops reading (a reload replaced these settings): the last reads age out.
  void stop();
  // Reads every watermark whose refresh is due now; returns how many were read.
  size_t read_due();

  // The pair's split day now; nullopt: not known (route everything to the external table).
  [[nodiscard]] std::optional<absl::CivilDay> split(const rewrite::TierPair& pair) const;

 private:
  struct Watermark {
    std::optional<absl::CivilDay> day;  // the last good read's (nullopt: none, or the table was empty)
    absl::Time read_at = absl::InfinitePast();
    absl::Time due = absl::InfinitePast();
  };
  void read_one(const TierSettings& tier, Watermark* w);
  void run();

  const std::vector<TierSettings>& tiers_;
  const Reader reader_;
  const Clock clock_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::map<const rewrite::TierPair*, Watermark> watermarks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace blueshift::proxy

#include "proxy/tier_splits.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/time/civil_time.h"

namespace blueshift::proxy {
namespace {

absl::CivilDay today(absl::Time now) { return absl::ToCivilDay(now, absl::UTCTimeZone()); }

// The date at the start of a watermark's value ('2024-10-01', '2024-10-01 00:00:00').
std::optional<absl::CivilDay> day_of(const std::string& value) {
  absl::CivilDay day;
  if (value.size() < 10 || !absl::ParseCivilTime(value.substr(0, 10), &day)) return std::nullopt;
  return day;
}

}  // namespace

TierSplits::TierSplits(const std::vector<TierSettings>& tiers, Reader reader, Clock clock)
    : tiers_(tiers), reader_(std::move(reader)), clock_(std::move(clock)) {
  for (const auto& t : tiers_) {
    if (t.from.kind == LocalFrom::Kind::Watermark) watermarks_[&t.pair] = Watermark{};
  }
}

TierSplits::~TierSplits() { stop(); }

void TierSplits::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void TierSplits::start() {
  if (!watermarks_.empty()) thread_ = std::thread([this] { run(); });
}

void TierSplits::run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    read_due();
    lock.lock();
    // Wake at the next due read (reads take their own time: at least a second apart).
    absl::Time next = absl::InfiniteFuture();
    for (const auto& [pair, w] : watermarks_) next = std::min(next, w.due);
    const auto wait = std::clamp(next - clock_(), absl::Seconds(1), absl::Hours(1));
    wake_.wait_for(lock, absl::ToChronoSeconds(wait), [this] { return stopping_; });
  }
}

size_t TierSplits::read_due() {
  size_t read = 0;
  for (const auto& t : tiers_) {
    if (t.from.kind != LocalFrom::Kind::Watermark) continue;
    {
      std::lock_guard lock(mutex_);
      if (watermarks_[&t.pair].due > clock_()) continue;
    }
    Watermark w;
    read_one(t, &w);
    std::lock_guard lock(mutex_);
    Watermark& kept = watermarks_[&t.pair];
    kept.due = w.due;
    if (w.read_at != absl::InfinitePast()) kept.day = w.day, kept.read_at = w.read_at;
    ++read;
  }
  return read;
}

// Blocks on the warehouse: never under the mutex.
void TierSplits::read_one(const TierSettings& t, Watermark* w) {
  const absl::Time started = clock_();
  w->due = started + absl::Seconds(t.from.refresh_seconds);
  auto value = reader_(t.from.query);
  if (!value.ok()) {
    spdlog::warn("routing: the watermark of {} could not be read ({}); after {} s without a good read its scans "
                 "all read {}",
                 t.pair.local(), value.status().ToString(), t.from.max_age_seconds, t.pair.external());
    return;
  }
  const std::optional<absl::CivilDay> day = *value ? day_of(**value) : std::nullopt;
  if (*value && !day) {
    spdlog::warn("routing: the watermark of {} is not a date: {}", t.pair.local(), (*value)->substr(0, 40));
    return;
  }
  w->day = day;  // none: the local table is empty, everything is external
  w->read_at = started;
}

std::optional<absl::CivilDay> TierSplits::split(const rewrite::TierPair& pair) const {
  for (const auto& t : tiers_) {
    if (&t.pair != &pair) continue;
    const absl::CivilDay now = today(clock_());
    switch (t.from.kind) {
      case LocalFrom::Kind::Date: return t.from.date;
      case LocalFrom::Kind::DaysBack: return now - t.from.count + 1;
      case LocalFrom::Kind::MonthsBack:
        return absl::CivilDay(now.year(), now.month() - t.from.count, now.day()) + 1;
      case LocalFrom::Kind::Watermark: {
        std::lock_guard lock(mutex_);
        const auto it = watermarks_.find(&pair);
        if (it == watermarks_.end() || clock_() - it->second.read_at > absl::Seconds(t.from.max_age_seconds))
          return std::nullopt;
        return it->second.day;
      }
    }
  }
  return std::nullopt;
}

}  // namespace blueshift::proxy

// The process's one metrics registry: counters, gauges and histograms, each series a
// lock-free atomic that the hot path updates through a reference obtained once at start-up
// (never a name lookup per event), plus collectors that other layers register to report
// figures they keep themselves, pulled only when the registry is read. Asio-free: the stats
// line and the Prometheus text (prometheus_text.h) both read collect().
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace blueshift::proxy::metrics {

// Label name/value pairs of one series, in the order given at registration.
using Labels = std::vector<std::pair<std::string, std::string>>;

// Series a family may hold: labels are for small fixed sets (an outcome, a result), never
// for unbounded values such as users or statements.
inline constexpr size_t kMaxSeriesPerFamily = 64;

// The cell of a sharded counter that the calling thread bumps: I/O threads get cells of
// their own (round robin on first use), so a counter bumped per message or per read never
// moves a cache line between cores.
inline constexpr size_t kCounterShards = 8;
size_t counter_shard();

// A cache line per shard; value() adds them up (only the registry's readers call it).
class Counter {
 public:
  void inc(uint64_t n = 1) { cells_[counter_shard()].value.fetch_add(n, std::memory_order_relaxed); }
  [[nodiscard]] uint64_t value() const {
    uint64_t sum = 0;
    for (const Cell& c : cells_) sum += c.value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  struct alignas(64) Cell {
    std::atomic<uint64_t> value{0};
  };
  Cell cells_[kCounterShards];
};

class alignas(64) Gauge {
 public:
  // Returns the value after the change, for callers that account with it (connection limit).
  int64_t add(int64_t delta) { return value_.fetch_add(delta, std::memory_order_relaxed) + delta; }
  void inc() { add(1); }
  void dec() { add(-1); }
  void set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  [[nodiscard]] int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// What a histogram holds at one moment: cumulative counts per upper bound, as Prometheus
// exposes them (the last count, for +Inf, equals count).
struct HistogramSnapshot {
  std::vector<double> bounds;
  std::vector<uint64_t> cumulative;  // bounds.size() + 1 entries
  double sum = 0;
  uint64_t count = 0;
};

// Fixed buckets chosen at registration. observe() is a search over the bounds and two
// relaxed atomic updates.
class Histogram {
 public:
  // bounds: finite and strictly increasing; throws std::invalid_argument otherwise.
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);
  [[nodiscard]] HistogramSnapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket, not cumulative; last is +Inf
  std::atomic<double> sum_{0};
};

enum class Type { Counter, Gauge, Histogram };

// A read of one series.
struct Sample {
  Labels labels;
  double value = 0;               // counters and gauges
  HistogramSnapshot histogram;    // histograms
};

// A read of one metric family: what one HELP/TYPE block of the exposition shows.
struct Family {
  std::string name;
  std::string help;
  Type type = Type::Counter;
  std::vector<Sample> samples;
};

// A family with one unlabelled sample: what collectors mostly report.
[[nodiscard]] Family single(std::string name, std::string help, Type type, double value);

// The value of the series with exactly these labels, if the family and series exist.
[[nodiscard]] std::optional<double> find_value(const std::vector<Family>& families, std::string_view name,
                                               const Labels& labels = {});

// Appends families read at collection time from state kept elsewhere (the policy governor's
// own counters): how layers that must not depend on proxy/ report into the registry.
using Collector = std::function<void(std::vector<Family>&)>;

// Registration takes a lock and may throw (bad name, type clash, too many series): do it at
// start-up. The references it returns stay valid for the registry's lifetime, and
// registering the same name and labels again returns the same series.
class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                       const Labels& labels = {});
  void add_collector(Collector collector);

  // Own families in registration order, then what each collector reports, in its order.
  [[nodiscard]] std::vector<Family> collect() const;

 private:
  struct Series;
  struct Entry;
  Series& series(std::string_view name, std::string_view help, Type type, const Labels& labels,
                 const std::vector<double>& bounds);

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::vector<Collector> collectors_;
};

}  // namespace blueshift::proxy::metrics

// The metrics registry; see metrics.h.
#include "proxy/metrics.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace blueshift::proxy::metrics {
namespace {

bool valid_name(std::string_view name, bool allow_colon) {
  auto head = [&](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (allow_colon && c == ':'); };
  auto tail = [&](char c) { return head(c) || std::isdigit(static_cast<unsigned char>(c)); };
  return !name.empty() && head(name[0]) && std::all_of(name.begin() + 1, name.end(), tail);
}

// Prometheus's rules: metric names may hold colons, label names not, and "__" prefixes and
// a histogram's "le" are reserved.
void check_names(std::string_view name, Type type, const Labels& labels) {
  if (!valid_name(name, true)) throw std::invalid_argument("metric name '" + std::string(name) + "' is not valid");
  for (const auto& [label, value] : labels) {
    if (!valid_name(label, false) || label.rfind("__", 0) == 0 || (type == Type::Histogram && label == "le")) {
      throw std::invalid_argument("label name '" + label + "' of metric '" + std::string(name) + "' is not valid");
    }
  }
}

void check_bounds(const std::vector<double>& bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
      throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
    }
  }
}

bool same_label_names(const Labels& a, const Labels& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) { return x.first == y.first; });
}

}  // namespace

size_t counter_shard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kCounterShards;
  return shard;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  check_bounds(bounds_);
}

void Histogram::observe(double value) {
  // The first bound not below value: Prometheus buckets are "less than or equal".
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s{bounds_, {}, sum_.load(std::memory_order_relaxed), 0};
  s.cumulative.reserve(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    s.count += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(s.count);
  }
  return s;
}

Family single(std::string name, std::string help, Type type, double value) {
  Family family{std::move(name), std::move(help), type, {}};
  family.samples.push_back(Sample{{}, value, {}});
  return family;
}

std::optional<double> find_value(const std::vector<Family>& families, std::string_view name, const Labels& labels) {
  for (const Family& family : families) {
    if (family.name != name) continue;
    for (const Sample& sample : family.samples) {
      if (sample.labels == labels) return sample.value;
    }
  }
  return std::nullopt;
}

struct Registry::Series {
  Labels labels;
  std::unique_ptr<Counter> counter;
  std::unique_ptr<Gauge> gauge;
  std::unique_ptr<Histogram> histogram;

  [[nodiscard]] Sample read() const {
    Sample sample{labels, 0, {}};
    if (counter) sample.value = static_cast<double>(counter->value());
    if (gauge) sample.value = static_cast<double>(gauge->value());
    if (histogram) sample.histogram = histogram->snapshot();
    return sample;
  }
};

struct Registry::Entry {
  std::string name;
  std::string help;
  Type type;
  std::vector<double> bounds;
  std::vector<std::unique_ptr<Series>> series;
};

Registry::Registry() = default;
Registry::~Registry() = default;

Registry::Series& Registry::series(std::string_view name, std::string_view help, Type type, const Labels& labels,
                                   const std::vector<double>& bounds) {
  check_names(name, type, labels);
  check_bounds(bounds);
  std::lock_guard lock(mutex_);
  auto entry = std::find_if(entries_.begin(), entries_.end(), [&](const auto& e) { return e->name == name; });
  if (entry == entries_.end()) {
    entries_.push_back(std::make_unique<Entry>(Entry{std::string(name), std::string(help), type, bounds, {}}));
    entry = entries_.end() - 1;
  }
  Entry& family = **entry;
  if (family.type != type || family.bounds != bounds) {
    throw std::logic_error("metric '" + family.name + "' registered again with another type or buckets");
  }
  for (const auto& s : family.series) {
    if (s->labels == labels) return *s;
  }
  if (!family.series.empty() && !same_label_names(family.series.front()->labels, labels)) {
    throw std::logic_error("metric '" + family.name + "' registered again with other label names");
  }
  if (family.series.size() >= kMaxSeriesPerFamily) {
    throw std::length_error("metric '" + family.name + "' has too many label sets");
  }
  auto created = std::make_unique<Series>(Series{labels, nullptr, nullptr, nullptr});
  if (type == Type::Counter) created->counter = std::make_unique<Counter>();
  if (type == Type::Gauge) created->gauge = std::make_unique<Gauge>();
  if (type == Type::Histogram) created->histogram = std::make_unique<Histogram>(bounds);
  family.series.push_back(std::move(created));
  return *family.series.back();
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  return *series(name, help, Type::Counter, labels, {}).counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  return *series(name, help, Type::Gauge, labels, {}).gauge;
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                               const Labels& labels) {
  return *series(name, help, Type::Histogram, labels, bounds).histogram;
}

void Registry::add_collector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::vector<Family> Registry::collect() const {
  std::vector<Family> families;
  std::vector<Collector> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& entry : entries_) {
      Family family{entry->name, entry->help, entry->type, {}};
      for (const auto& s : entry->series) family.samples.push_back(s->read());
      families.push_back(std::move(family));
    }
    collectors = collectors_;
  }
  // Outside the lock: a collector may take locks of its own.
  for (const auto& collect : collectors) collect(families);
  return families;
}

}  // namespace blueshift::proxy::metrics

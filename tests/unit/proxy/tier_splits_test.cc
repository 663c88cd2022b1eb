// Where a tier pair's local data begins: fixed, back from today, or a watermark read on an
// interval that errs late (unknown: every scan external) when not read, failing or stale.
#include "proxy/tier_splits.h"

#include <gtest/gtest.h>

#include "proxy/routing_settings.h"

namespace blueshift::proxy {
namespace {

RoutingSettings settings(const std::string& local_from) {
  return parse_routing_settings(YAML::Load(
      "tiers:\n  - {local: public.sales_fact, external: spectrum_schema.sales, date_column: sale_date,\n"
      "     columns: [sale_id, sale_date], local_from: " + local_from + "}\n"));
}

struct Fixture {
  explicit Fixture(const std::string& local_from) : s(settings(local_from)) {}
  RoutingSettings s;
  absl::Time now = absl::FromCivil(absl::CivilSecond(2024, 11, 15, 10, 0, 0), absl::UTCTimeZone());
  absl::StatusOr<std::optional<std::string>> answer = std::optional<std::string>("2024-10-01");
  int reads = 0;
  TierSplits splits{s.tiers, [this](const std::string&) { return ++reads, answer; }, [this] { return now; }};
  std::optional<absl::CivilDay> split() const { return splits.split(s.tiers[0].pair); }
};

TEST(TierSplits, FixedDate) {
  Fixture f("{date: 2024-09-01}");
  EXPECT_EQ(f.split(), absl::CivilDay(2024, 9, 1));
  EXPECT_EQ(f.splits.read_due(), 0u);
}

TEST(TierSplits, PeriodsBackFromTodayErrLateByADay) {
  EXPECT_EQ(Fixture("{days: 30}").split(), absl::CivilDay(2024, 10, 17));
  EXPECT_EQ(Fixture("{months: 3}").split(), absl::CivilDay(2024, 8, 16));
}

TEST(TierSplits, WatermarkUnknownUntilRead) {
  Fixture f("{watermark: 'SELECT min(sale_date) FROM public.sales_fact', refresh_seconds: 60, max_age_seconds: 300}");
  EXPECT_EQ(f.split(), std::nullopt);
  EXPECT_EQ(f.splits.read_due(), 1u);
  EXPECT_EQ(f.split(), absl::CivilDay(2024, 10, 1));
  EXPECT_EQ(f.splits.read_due(), 0u);  // not due again before refresh_seconds
  f.now += absl::Seconds(61);
  f.answer = std::optional<std::string>("2024-10-05 00:00:00");  // a timestamp value reads as its day
  EXPECT_EQ(f.splits.read_due(), 1u);
  EXPECT_EQ(f.split(), absl::CivilDay(2024, 10, 5));
}

TEST(TierSplits, AFailingWatermarkAgesOutToUnknown) {
  Fixture f("{watermark: 'SELECT 1', refresh_seconds: 60, max_age_seconds: 300}");
  (void)f.splits.read_due();
  f.answer = absl::UnavailableError("warehouse down");
  f.now += absl::Seconds(240);
  (void)f.splits.read_due();
  EXPECT_EQ(f.split(), absl::CivilDay(2024, 10, 1));  // the last good read, still young enough
  f.now += absl::Seconds(61);
  (void)f.splits.read_due();
  EXPECT_EQ(f.split(), std::nullopt);  // stale: every scan reads the external table
  EXPECT_EQ(f.reads, 3);
}

TEST(TierSplits, AnEmptyLocalTableOrANonDateIsUnknown) {
  Fixture f("{watermark: 'SELECT 1'}");
  f.answer = std::optional<std::string>();
  (void)f.splits.read_due();
  EXPECT_EQ(f.split(), std::nullopt);
  Fixture g("{watermark: 'SELECT 1'}");
  g.answer = std::optional<std::string>("yesterday");
  (void)g.splits.read_due();
  EXPECT_EQ(g.split(), std::nullopt);
}

TEST(TierSplits, TheThreadReadsAndStops) {
  Fixture f("{watermark: 'SELECT 1'}");
  f.splits.start();
  for (int i = 0; i < 200 && !f.split(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(f.split(), absl::CivilDay(2024, 10, 1));
  f.splits.stop();
}

}  // namespace
}  // namespace blueshift::proxy

// A real governor over the demo catalog and policies (tests/unit/policies/fixtures.h), for
// the Conversation tests.
#pragma once

#include <memory>
#include <string>

#include "policies/budgets.h"
#include "policies/governor.h"
#include "policies/governor_options.h"
#include "tests/unit/policies/fixtures.h"

namespace blueshift::proxy::testing {

// The demo policies with a daily budget of usd for user analyst.
inline std::shared_ptr<policies::Governor> budget_governor(double usd) {
  policies::GovernorOptions options;
  options.load_catalog = []() -> absl::StatusOr<policies::Catalog> { return policies::testing::demo_catalog(); };
  const std::string yaml = std::string(policies::testing::kDemoPolicies) +
                           "budgets:\n  limits:\n    - {name: day, user: analyst, period: day, usd: " +
                           std::to_string(usd) + "}\n";
  return policies::Governor::create(YAML::Load(yaml), options);
}

// Budgets over an in-memory ledger, maintained only when a test calls for it.
inline std::unique_ptr<policies::Budgets> memory_budgets(std::shared_ptr<policies::MemoryLedger> ledger) {
  policies::Budgets::Options o;
  o.ledger = std::move(ledger);
  o.background = false;
  o.settings.instance = "test";
  return std::make_unique<policies::Budgets>(std::move(o));
}

inline std::shared_ptr<policies::Governor> demo_governor() {
  policies::GovernorOptions options;
  options.load_catalog = []() -> absl::StatusOr<policies::Catalog> { return policies::testing::demo_catalog(); };
  return policies::Governor::create(YAML::Load(policies::testing::kDemoPolicies), options);
}

}  // namespace blueshift::proxy::testing

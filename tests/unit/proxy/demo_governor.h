// A real governor over the demo catalog and policies (tests/unit/policies/fixtures.h), for
// the Conversation tests.
#pragma once

#include <memory>

#include "policies/governor.h"
#include "policies/governor_options.h"
#include "tests/unit/policies/fixtures.h"

namespace blueshift::proxy::testing {

inline std::shared_ptr<policies::Governor> demo_governor() {
  policies::GovernorOptions options;
  options.load_catalog = []() -> absl::StatusOr<policies::Catalog> { return policies::testing::demo_catalog(); };
  return policies::Governor::create(YAML::Load(policies::testing::kDemoPolicies), options);
}

}  // namespace blueshift::proxy::testing

// Reports the policy governor's counters through the metrics registry. policies/ keeps its
// own counters and knows nothing of proxy/: the registry pulls them at collection time.
#pragma once

#include <memory>

#include "policies/governor.h"
#include "proxy/metrics.h"

namespace blueshift::proxy {

void add_governor_collector(metrics::Registry& registry, std::shared_ptr<const policies::Governor> governor);

}  // namespace blueshift::proxy

// Logs the stats line (stats_line.h) from the metrics registry every
// log.stats_interval_seconds, on the main loop; 0 never.
#pragma once

#include "proxy/asio.h"
#include "proxy/metrics.h"

namespace blueshift::proxy {

class StatsReporter {
 public:
  StatsReporter(asio::io_context& loop, const metrics::Registry& registry, int interval_seconds);

 private:
  void schedule();

  const metrics::Registry& registry_;
  const std::chrono::seconds interval_;
  asio::steady_timer timer_;
};

}  // namespace blueshift::proxy

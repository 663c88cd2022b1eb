// The stats reporter; see stats_reporter.h.
#include "proxy/stats_reporter.h"

#include <spdlog/spdlog.h>

#include "proxy/stats_line.h"

namespace blueshift::proxy {

StatsReporter::StatsReporter(asio::io_context& loop, const metrics::Registry& registry, int interval_seconds)
    : registry_(registry), interval_(interval_seconds), timer_(loop) {
  if (interval_seconds > 0) schedule();
}

void StatsReporter::schedule() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](const error_code& e) {
    if (e) return;
    spdlog::info("{}", stats_line(registry_.collect()));
    schedule();
  });
}

}  // namespace blueshift::proxy

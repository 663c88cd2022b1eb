#include "proxy/pin_keeper.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "proxy/pin_watch.h"
#include "proxy/thread_placement.h"

namespace blueshift::proxy {
namespace {

constexpr std::chrono::seconds kInterval{1};

awaitable<void> keep(int core, std::vector<int> allowed) {
  asio::basic_waitable_timer<std::chrono::steady_clock, asio::wait_traits<std::chrono::steady_clock>, Executor> timer(
      co_await asio::this_coro::executor);
  PinWatch watch;
  for (;;) {
    timer.expires_after(kInterval);
    const auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) co_return;
    const std::optional<SchedSample> sample = read_thread_schedstat();
    if (!sample) co_return;  // no scheduler statistics: leave the pinning as it is
    switch (watch.observe(*sample, std::chrono::nanoseconds(kInterval).count())) {
      case PinWatch::Action::Unpin:
        if (set_current_thread_cores(allowed))
          spdlog::info("I/O thread pinned to core {} unpinned: it waited for the CPU {:.0f}% of the time it wanted it",
                       core, 100 * watch.last_wait_share());
        break;
      case PinWatch::Action::Repin:
        if (pin_current_thread(core)) spdlog::info("I/O thread pinned to core {} again: the core is quiet", core);
        break;
      case PinWatch::Action::None:
        break;
    }
  }
}

}  // namespace

void start_pin_keeper(asio::io_context& loop, int core, std::vector<int> allowed) {
  asio::co_spawn(loop, keep(core, std::move(allowed)), asio::detached);
}

}  // namespace blueshift::proxy

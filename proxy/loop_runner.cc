// The I/O threads' loop; see loop_runner.h.
#include "proxy/loop_runner.h"

namespace blueshift::proxy {

void run_io_loop(asio::io_context& loop, std::chrono::microseconds poll) {
  if (poll.count() <= 0) {
    loop.run();
    return;
  }
  using clock = std::chrono::steady_clock;
  auto last_work = clock::now();
  while (!loop.stopped()) {
    // poll(): what is ready now, and a reactor check that does not block.
    if (loop.poll() > 0) {
      last_work = clock::now();
    } else if (clock::now() - last_work >= poll) {
      if (loop.run_one() == 0) return;  // stopped, or out of work
      last_work = clock::now();
    }
  }
}

}  // namespace blueshift::proxy

// Runs a PinWatch (pin_watch.h) on a pinned I/O thread's own event loop.
#pragma once

#include <vector>

#include "proxy/asio.h"

namespace blueshift::proxy {

// Every second, on `loop`'s thread (pinned to `core`): unpins the thread to `allowed` while
// its core is crowded and pins it back once quiet. Ends when the loop stops.
void start_pin_keeper(asio::io_context& loop, int core, std::vector<int> allowed);

}  // namespace blueshift::proxy

// How an I/O thread runs its event loop: asleep in epoll_wait between events, or, with
// io_poll_us, polling for that long after its last event before it sleeps.
//
// A sleeping thread is woken by the sender of the next message: on another core that takes
// an inter-processor interrupt, which a VM pays for with exits on both sides. Where the proxy
// has cores to itself (thread_placement.h decides), polling spares the senders (the clients'
// and the warehouse's processes) that cost, at the price of a core kept busy while traffic
// flows (tests/bench/README.md, session 22).
#pragma once

#include <chrono>

#include "proxy/asio.h"

namespace blueshift::proxy {

// Runs loop until it is stopped or out of work; poll: how long to keep polling (0: never).
void run_io_loop(asio::io_context& loop, std::chrono::microseconds poll);

}  // namespace blueshift::proxy

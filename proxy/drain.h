// The graceful drain a stop signal starts (SIGTERM, SIGINT): stop accepting, fail /readyz,
// end each session once it is idle between statements (FATAL 57P01, as PostgreSQL's
// shutdown), and exit when none is left. At drain.timeout_ms the sessions still busy end
// too, their queries cancelled on the warehouse; a second stop signal exits at once.
// Runs on the main loop.
#pragma once

#include <chrono>
#include <functional>

#include "proxy/asio.h"
#include "proxy/server_context.h"

namespace blueshift::proxy {

class Drain {
 public:
  // stop_accepting: closes the listening socket; stop: ends the process's loops.
  Drain(asio::io_context& main_loop, ServerContext& context, std::function<void()> stop_accepting,
        std::function<void()> stop);
  // The first call begins the drain; the next stops at once.
  void begin();

 private:
  void look_again();
  void finish(const char* how);

  ServerContext& context_;
  std::function<void()> stop_accepting_;
  std::function<void()> stop_;
  asio::steady_timer timer_;
  std::chrono::steady_clock::time_point deadline_;
  bool forced_ = false;
  bool done_ = false;
};

}  // namespace blueshift::proxy

// The data plane's front door: N single-threaded io_contexts (one loop per I/O thread, each
// pinned to a core of its own when configured), the acceptor, and the accept loop that hands
// each client to a Session on the next loop, which accounts it against the connection limits.
#pragma once

#include <memory>
#include <vector>

#include "proxy/server_context.h"
#include "proxy/thread_placement.h"

namespace blueshift::proxy {

// How many I/O threads and whether pinned: io_threads and pin_io_threads, weighed against the
// cores this process may use and its cgroup's CPU limit (thread_placement.h).
[[nodiscard]] IoThreadPlan io_thread_plan(const Config& config);
[[nodiscard]] unsigned io_thread_count(const Config& config);

class Listener {
 public:
  // Creates the loops without opening anything; context.config is read from open() on.
  Listener(ServerContext& context, unsigned threads);
  ~Listener();

  // Resolves, binds and listens on the configured address; false (logged) on failure.
  bool open();
  // Where open() listens (the port chosen when the configured one is 0).
  [[nodiscard]] tcp::endpoint local_endpoint() const;
  // The first loop: the acceptor's, run on the thread that calls run(); signals live there.
  asio::io_context& main_loop() { return *loops_[0]; }
  size_t thread_count() const { return loops_.size(); }
  // Accepts on the main loop, pins and runs every loop; blocks until stop().
  void run();
  // Closes the listening socket; sessions carry on. Call on the main loop.
  void stop_accepting();
  // Stops accepting and stops every loop (sessions end with them). Call on the main loop.
  void stop();

 private:
  awaitable<void> accept_loop();
  void admit(tcp::socket socket, asio::io_context& loop);

  ServerContext& context_;
  std::vector<std::unique_ptr<asio::io_context>> loops_;
  std::unique_ptr<tcp::acceptor> acceptor_;
};

}  // namespace blueshift::proxy

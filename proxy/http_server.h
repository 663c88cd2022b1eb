// The operations HTTP endpoint (http.listen) on the main loop, apart from the sessions'
// I/O threads: Boost.Beast carries requests to answer_http (http_routes.h). Small on
// purpose: GET/HEAD only, small requests, a deadline on every exchange and a cap on open
// connections, so that a slow or hostile scraper cannot hold the loop or much memory.
#pragma once

#include <memory>

#include "proxy/asio.h"
#include "proxy/config.h"
#include "proxy/http_routes.h"

namespace blueshift::proxy {

class HttpServer {
 public:
  HttpServer(asio::io_context& loop, HttpSources sources);
  ~HttpServer();

  // Binds and listens; false (logged, naming http.listen) on failure.
  bool open(const Endpoint& at);
  [[nodiscard]] tcp::endpoint local_endpoint() const;
  // Serves until stop() (or the loop stops).
  void start();
  void stop();

 private:
  struct State;
  awaitable<void> accept_loop();
  static awaitable<void> serve(std::shared_ptr<State> state, tcp::socket::rebind_executor<Executor>::other socket);

  asio::io_context& loop_;
  std::shared_ptr<State> state_;
};

}  // namespace blueshift::proxy

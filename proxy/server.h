// The proxy process: the shared context (config, TLS, governor, metrics) and three parts
// composed around it: the Listener (I/O loops, one per thread: a session's two pumps share
// a thread, so its state needs no locks), the ControlPlane (signals, reload, catalog
// refresh, off the I/O loops) and the StatsReporter (the periodic stats line).
#pragma once

#include <memory>

#include "proxy/config.h"
#include "proxy/server_context.h"

namespace blueshift::proxy {

class Server {
 public:
  explicit Server(std::shared_ptr<const Config> config);
  ~Server();
  // Blocks until a stop signal. Returns the process exit code.
  int run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// TLS contexts from the configuration. Throws std::runtime_error (start-up only).
std::unique_ptr<ssl::context> make_client_tls_context(const Config& config);
std::unique_ptr<ssl::context> make_upstream_tls_context(const Config& config);

}  // namespace blueshift::proxy

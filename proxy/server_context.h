// What every session shares: the configuration snapshot, TLS contexts, the cancel-key
// registry, the policy governor and counters. Owned by Server, outlives all sessions.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "policies/governor.h"
#include "proxy/asio.h"
#include "proxy/cancel_registry.h"
#include "proxy/config.h"

namespace blueshift::proxy {

struct Counters {
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> connections_active{0};
  std::atomic<uint64_t> connections_rejected{0};
  std::atomic<uint64_t> cancels_forwarded{0};
  std::atomic<uint64_t> cancels_unknown{0};
  std::atomic<uint64_t> upstream_failures{0};
};

struct ServerContext {
  std::shared_ptr<const Config> config;
  std::unique_ptr<ssl::context> client_tls;    // null: no TLS offered to clients
  std::unique_ptr<ssl::context> upstream_tls;  // null: plain upstream
  CancelRegistry cancels;
  std::shared_ptr<policies::Governor> governor;  // null: nothing governed, nothing parsed
  Counters counters;
  // Blocking work a session waits for (group lookups over libpq), off the I/O threads.
  asio::thread_pool blocking{2};
};

}  // namespace blueshift::proxy

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
#include "proxy/log_limiter.h"

namespace blueshift::proxy {

struct Counters {
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> connections_active{0};
  std::atomic<uint64_t> connections_rejected{0};
  std::atomic<uint64_t> cancels_forwarded{0};
  std::atomic<uint64_t> cancels_unknown{0};
  std::atomic<uint64_t> upstream_failures{0};
};

// Startup packets that PostgreSQL drops without a word (session.cc logs them, rate-limited).
enum class DroppedStartup : size_t { InvalidLength, Incomplete, kCount };

struct ServerContext {
  std::shared_ptr<const Config> config;
  std::unique_ptr<ssl::context> client_tls;    // null: no TLS offered to clients
  std::unique_ptr<ssl::context> upstream_tls;  // null: plain upstream
  CancelRegistry cancels;
  std::shared_ptr<policies::Governor> governor;  // null: nothing governed, nothing parsed
  Counters counters;
  LogLimiter<static_cast<size_t>(DroppedStartup::kCount)> dropped_startups;
};

}  // namespace blueshift::proxy

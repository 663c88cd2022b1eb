// The proxy's configuration: a YAML file (deploy/blueshift.example.yaml documents every
// key) plus command-line overrides. Loaded once at start-up into an immutable value;
// invalid configuration is reported with the key at fault (exceptions are for start-up).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proxy/proxy_protocol.h"
#include "yaml-cpp/yaml.h"

namespace blueshift::proxy {

struct Endpoint {
  std::string host;
  uint16_t port = 0;
  [[nodiscard]] std::string to_string() const { return host + ":" + std::to_string(port); }
};

// Another instance of the proxy, for CancelRequests that land on the wrong one.
struct Peer {
  int id = 0;
  Endpoint endpoint;
};

struct UpsertSettings;   // upsert_settings.h
struct RoutingSettings;  // routing_settings.h
struct ConsoleSettings;  // console_settings.h

enum class UpstreamTls { Disable, Require, VerifyFull };

// Command-line flags that override the file; kept in the Config so a reload applies them
// again (a proxy started with --upstream must not move to the file's upstream on SIGHUP).
struct Overrides {
  std::string listen;
  std::string upstream;
  std::string log_level;
  int io_threads = -1;
};

struct Config {
  Endpoint listen{"127.0.0.1", 5439};
  Endpoint upstream{"127.0.0.1", 5440};
  UpstreamTls upstream_tls = UpstreamTls::Disable;
  std::string upstream_ca_file;      // verify-full: CA bundle to check the server certificate
  std::string upstream_server_name;  // verify-full: name to check (default: upstream host)
  int connect_timeout_ms = 5000;
  int upstream_read_timeout_ms = 0;  // a server message begun and stalled this long (0: wait)

  // Client-side TLS termination.
  std::string tls_cert_file;
  std::string tls_key_file;
  bool tls_require = false;

  size_t max_client_connections = 10000;
  size_t max_message_size = 64u << 20;
  size_t max_buffered_bytes = 256u << 20;  // large messages buffered whole, all sessions together
  int login_timeout_ms = 30000;
  // Connections that have not logged in yet, counted apart from max_client_connections
  // (connection_slots.h), and how long the proxy waits for each of their steps.
  size_t max_unauthenticated_connections = 256;
  size_t max_unauthenticated_per_address = 64;
  int handshake_timeout_ms = 10000;
  // A governed statement at least this long is analysed off the I/O threads (0: never).
  size_t offload_analysis_bytes = 64u << 10;
  int idle_client_timeout_ms = 0;    // 0: no idle timeout
  int query_timeout_ms = 0;          // the upstream owing an answer this long (0: no limit)
  int io_threads = 0;                // 0: one per core
  bool pin_io_threads = false;       // each I/O thread on a core of its own (thread_placement.h)
  int io_poll_us = 0;                // an idle I/O thread polls this long before it sleeps (loop_runner.h)
  bool unpin_when_crowded = false;   // a pinned thread waiting for its busy core moves (pin_watch.h)

  std::string log_level = "info";
  std::string log_file;              // "": standard error
  int stats_interval_seconds = 60;   // one info line with the counters this often (0: never)

  // Peering: several instances behind one load balancer. A CancelRequest opens a new
  // connection, which may land on another instance than its session's: the key names the
  // instance (cancel_registry.h), and the one it lands on forwards it there. peer_id 0: none.
  int peer_id = 0;
  std::vector<Peer> peers;           // every instance (this one may be listed too)

  // PROXY protocol (v1, v2): peers in these networks (load balancers) send a header with the
  // client's address; from anyone else a header is refused. Empty: no header is read.
  std::vector<Cidr> proxy_trusted;
  bool proxy_required = true;  // a trusted peer must send one (false: it may connect directly)

  // The operations HTTP endpoint (/metrics, /healthz, /readyz); port 0: off.
  Endpoint http_listen{"127.0.0.1", 0};
  // After SIGTERM, how long sessions may take to finish their statement and transaction.
  int drain_timeout_ms = 30000;

  std::string catalog_conninfo;      // libpq service connection for the catalog ("": none)
  int catalog_refresh_seconds = 300;
  std::string audit_file;            // "": no audit file
  // The `policies:` section, handed to policies::Governor (null when absent). Held by
  // pointer because YAML::Node assignment writes through to the node it refers to.
  std::shared_ptr<const YAML::Node> policies;
  // The `upserts:` section (upsert_settings.h); disabled when absent. Read at start-up.
  std::shared_ptr<const UpsertSettings> upserts;
  // The `routing:` section (routing_settings.h); nothing routed when absent. Read at start-up.
  std::shared_ptr<const RoutingSettings> routing;
  // The `console:` section (console_settings.h): the admin console's users; off when absent.
  std::shared_ptr<const ConsoleSettings> console;

  std::string source_path;           // the file it was read from, for reloads
  Overrides overrides;

  [[nodiscard]] bool tls_enabled() const { return !tls_cert_file.empty(); }
};

// Parses HOST:PORT (or [v6]:PORT). Throws std::invalid_argument with a readable message.
Endpoint parse_endpoint(const std::string& text);

// Reads the YAML file (path may be empty: defaults). Throws std::runtime_error naming the
// key at fault.
Config load_config(const std::string& path);
Config config_from_yaml(const YAML::Node& root);

// Sets config's overridden keys and records the overrides in it. Throws
// std::invalid_argument for a bad address.
void apply_overrides(const Overrides& overrides, Config& config);

// Checks values that only make sense together (TLS files present, limits positive).
// Returns the problems found, empty when valid.
std::vector<std::string> validate(const Config& config);

}  // namespace blueshift::proxy

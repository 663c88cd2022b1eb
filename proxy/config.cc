#include "proxy/config.h"

#include "proxy/cancel_registry.h"
#include "proxy/console_settings.h"
#include "proxy/routing_settings.h"
#include "proxy/upsert_settings.h"

#include <filesystem>
#include <set>
#include <stdexcept>

namespace blueshift::proxy {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& why) {
  throw std::runtime_error("config key '" + key + "': " + why);
}

template <typename T>
void read(const YAML::Node& node, const char* name, const std::string& path, T* out) {
  const YAML::Node value = node[name];
  if (!value || value.IsNull()) return;
  try {
    *out = value.as<T>();
  } catch (const YAML::Exception&) {
    fail(path + name, "cannot read value '" + YAML::Dump(value) + "'");
  }
}

void require_map(const YAML::Node& node, const std::string& key) {
  if (node && !node.IsNull() && !node.IsMap()) fail(key, "must be a mapping");
}

void reject_unknown(const YAML::Node& node, const std::string& prefix,
                    std::initializer_list<const char*> known) {
  if (!node || !node.IsMap()) return;
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) fail(prefix + key, "unknown key");
  }
}

Endpoint read_endpoint(const YAML::Node& node, const std::string& key) {
  try {
    return parse_endpoint(node.as<std::string>());
  } catch (const std::exception& e) {
    fail(key, e.what());
  }
}

std::vector<Peer> read_peers(const YAML::Node& node) {
  std::vector<Peer> peers;
  if (!node || node.IsNull()) return peers;
  if (!node.IsSequence()) fail("peers", "must be a list of {id, host, port}");
  for (size_t i = 0; i < node.size(); ++i) {
    const std::string path = "peers[" + std::to_string(i) + "].";
    const YAML::Node entry = node[i];
    if (!entry.IsMap()) fail("peers[" + std::to_string(i) + "]", "must be a mapping {id, host, port}");
    reject_unknown(entry, path, {"id", "host", "port"});
    Peer peer;
    int port = 0;
    read(entry, "id", path, &peer.id);
    read(entry, "host", path, &peer.endpoint.host);
    read(entry, "port", path, &port);
    if (port <= 0 || port > 65535) fail(path + "port", "must be 1..65535");
    peer.endpoint.port = static_cast<uint16_t>(port);
    peers.push_back(std::move(peer));
  }
  return peers;
}

}  // namespace

Endpoint parse_endpoint(const std::string& text) {
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      throw std::invalid_argument("expected [HOST]:PORT, got '" + text + "'");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) throw std::invalid_argument("expected HOST:PORT, got '" + text + "'");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty()) throw std::invalid_argument("empty host in '" + text + "'");
  size_t used = 0;
  unsigned long value = 0;
  try {
    value = std::stoul(port, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != port.size() || port.empty() || value == 0 || value > 65535)
    throw std::invalid_argument("bad port in '" + text + "'");
  return Endpoint{host, static_cast<uint16_t>(value)};
}

Config config_from_yaml(const YAML::Node& root) {
  Config c;
  if (!root || root.IsNull()) return c;
  if (!root.IsMap()) throw std::runtime_error("config: the top level must be a mapping");
  reject_unknown(root, "", {"listen", "upstream", "tls", "limits", "io_threads", "pin_io_threads", "io_poll_us", "unpin_when_crowded", "log", "catalog",
                            "audit", "policies", "upserts", "routing", "peer_id", "peers", "http", "drain", "proxy_protocol",
                            "console"});
  if (root["listen"]) c.listen = read_endpoint(root["listen"], "listen");
  if (const YAML::Node up = root["upstream"]) {
    require_map(up, "upstream");
    reject_unknown(up, "upstream.", {"host", "port", "tls", "ca_file", "server_name", "connect_timeout_ms",
                                    "read_timeout_ms"});
    read(up, "host", "upstream.", &c.upstream.host);
    int port = c.upstream.port;
    read(up, "port", "upstream.", &port);
    if (port <= 0 || port > 65535) fail("upstream.port", "must be 1..65535");
    c.upstream.port = static_cast<uint16_t>(port);
    std::string mode = "disable";
    read(up, "tls", "upstream.", &mode);
    if (mode == "disable") c.upstream_tls = UpstreamTls::Disable;
    else if (mode == "require") c.upstream_tls = UpstreamTls::Require;
    else if (mode == "verify-full") c.upstream_tls = UpstreamTls::VerifyFull;
    else fail("upstream.tls", "must be disable, require or verify-full, not '" + mode + "'");
    read(up, "ca_file", "upstream.", &c.upstream_ca_file);
    read(up, "server_name", "upstream.", &c.upstream_server_name);
    read(up, "connect_timeout_ms", "upstream.", &c.connect_timeout_ms);
    read(up, "read_timeout_ms", "upstream.", &c.upstream_read_timeout_ms);
  }
  if (const YAML::Node tls = root["tls"]) {
    require_map(tls, "tls");
    reject_unknown(tls, "tls.", {"cert_file", "key_file", "require"});
    read(tls, "cert_file", "tls.", &c.tls_cert_file);
    read(tls, "key_file", "tls.", &c.tls_key_file);
    read(tls, "require", "tls.", &c.tls_require);
  }
  if (const YAML::Node limits = root["limits"]) {
    require_map(limits, "limits");
    reject_unknown(limits, "limits.", {"max_client_connections", "max_message_size", "login_timeout_ms",
                                       "idle_client_timeout_ms", "query_timeout_ms", "max_buffered_bytes",
                                       "max_unauthenticated_connections", "max_unauthenticated_per_address",
                                       "handshake_timeout_ms", "offload_analysis_bytes"});
    read(limits, "max_client_connections", "limits.", &c.max_client_connections);
    read(limits, "max_message_size", "limits.", &c.max_message_size);
    read(limits, "max_buffered_bytes", "limits.", &c.max_buffered_bytes);
    read(limits, "login_timeout_ms", "limits.", &c.login_timeout_ms);
    read(limits, "max_unauthenticated_connections", "limits.", &c.max_unauthenticated_connections);
    read(limits, "max_unauthenticated_per_address", "limits.", &c.max_unauthenticated_per_address);
    read(limits, "handshake_timeout_ms", "limits.", &c.handshake_timeout_ms);
    read(limits, "offload_analysis_bytes", "limits.", &c.offload_analysis_bytes);
    read(limits, "idle_client_timeout_ms", "limits.", &c.idle_client_timeout_ms);
    read(limits, "query_timeout_ms", "limits.", &c.query_timeout_ms);
  }
  if (const YAML::Node http = root["http"]) {
    require_map(http, "http");
    reject_unknown(http, "http.", {"listen"});
    std::string listen;
    read(http, "listen", "http.", &listen);
    if (!listen.empty()) c.http_listen = read_endpoint(http["listen"], "http.listen");
  }
  if (const YAML::Node pp = root["proxy_protocol"]) {
    require_map(pp, "proxy_protocol");
    reject_unknown(pp, "proxy_protocol.", {"trusted", "required"});
    std::vector<std::string> networks;
    read(pp, "trusted", "proxy_protocol.", &networks);
    for (const std::string& text : networks) {
      const auto cidr = parse_cidr(text);
      if (!cidr) fail("proxy_protocol.trusted", "'" + text + "' is not an address or network (10.0.0.0/8, fd00::/8)");
      c.proxy_trusted.push_back(*cidr);
    }
    read(pp, "required", "proxy_protocol.", &c.proxy_required);
  }
  if (const YAML::Node drain = root["drain"]) {
    require_map(drain, "drain");
    reject_unknown(drain, "drain.", {"timeout_ms"});
    read(drain, "timeout_ms", "drain.", &c.drain_timeout_ms);
  }
  read(root, "io_threads", "", &c.io_threads);
  read(root, "pin_io_threads", "", &c.pin_io_threads);
  read(root, "io_poll_us", "", &c.io_poll_us);
  read(root, "unpin_when_crowded", "", &c.unpin_when_crowded);
  read(root, "peer_id", "", &c.peer_id);
  c.peers = read_peers(root["peers"]);
  if (const YAML::Node log = root["log"]) {
    require_map(log, "log");
    reject_unknown(log, "log.", {"level", "file", "stats_interval_seconds"});
    read(log, "level", "log.", &c.log_level);
    read(log, "file", "log.", &c.log_file);
    read(log, "stats_interval_seconds", "log.", &c.stats_interval_seconds);
  }
  if (const YAML::Node cat = root["catalog"]) {
    require_map(cat, "catalog");
    reject_unknown(cat, "catalog.", {"conninfo", "refresh_seconds"});
    read(cat, "conninfo", "catalog.", &c.catalog_conninfo);
    read(cat, "refresh_seconds", "catalog.", &c.catalog_refresh_seconds);
  }
  if (const YAML::Node audit = root["audit"]) {
    require_map(audit, "audit");
    reject_unknown(audit, "audit.", {"file"});
    read(audit, "file", "audit.", &c.audit_file);
  }
  c.upserts = std::make_shared<const UpsertSettings>(parse_upsert_settings(root["upserts"]));
  c.routing = std::make_shared<const RoutingSettings>(parse_routing_settings(root["routing"]));
  c.console = std::make_shared<const ConsoleSettings>(parse_console_settings(root["console"]));
  if (const YAML::Node policies = root["policies"]; policies && !policies.IsNull()) {
    if (!policies.IsMap()) fail("policies", "must be a mapping");
    c.policies = std::make_shared<const YAML::Node>(YAML::Clone(policies));
  }
  return c;
}

void apply_overrides(const Overrides& o, Config& c) {
  if (!o.listen.empty()) c.listen = parse_endpoint(o.listen);
  if (!o.upstream.empty()) c.upstream = parse_endpoint(o.upstream);
  if (!o.log_level.empty()) c.log_level = o.log_level;
  if (o.io_threads >= 0) c.io_threads = o.io_threads;
  c.overrides = o;
}

Config load_config(const std::string& path) {
  if (path.empty()) return Config{};
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    throw std::runtime_error("config: cannot read file '" + path + "'");
  } catch (const YAML::Exception& e) {
    throw std::runtime_error("config: '" + path + "' is not valid YAML: " + e.what());
  }
  Config c = config_from_yaml(root);
  c.source_path = path;
  return c;
}

namespace {

void validate_peers(const Config& c, std::vector<std::string>& problems) {
  const std::string range = "1.." + std::to_string(kMaxPeerId);
  if (c.peer_id < 0 || c.peer_id > kMaxPeerId) problems.push_back("peer_id must be " + range + " (0: no peering)");
  if (!c.peers.empty() && c.peer_id == 0) problems.push_back("peers are listed but peer_id is not set");
  std::set<int> ids;
  for (const Peer& p : c.peers) {
    if (p.id < 1 || p.id > kMaxPeerId) problems.push_back("peers: id " + std::to_string(p.id) + " is not " + range);
    if (!ids.insert(p.id).second) problems.push_back("peers: id " + std::to_string(p.id) + " is listed twice");
    if (p.endpoint.host.empty()) problems.push_back("peers: id " + std::to_string(p.id) + " has no host");
  }
}

}  // namespace

std::vector<std::string> validate(const Config& c) {
  std::vector<std::string> problems;
  auto readable = [&](const std::string& file, const char* key) {
    if (!file.empty() && !std::filesystem::exists(file))
      problems.push_back(std::string(key) + ": file '" + file + "' does not exist");
  };
  if (c.tls_cert_file.empty() != c.tls_key_file.empty())
    problems.push_back("tls: cert_file and key_file must be given together");
  if (c.tls_require && c.tls_cert_file.empty())
    problems.push_back("tls.require is true but no tls.cert_file/key_file is configured");
  readable(c.tls_cert_file, "tls.cert_file");
  readable(c.tls_key_file, "tls.key_file");
  readable(c.upstream_ca_file, "upstream.ca_file");
  if (c.upstream_tls == UpstreamTls::VerifyFull && c.upstream_ca_file.empty())
    problems.push_back("upstream.tls is verify-full but upstream.ca_file is not set");
  if (c.upstream.host.empty()) problems.push_back("upstream.host is empty");
  if (c.max_client_connections == 0) problems.push_back("limits.max_client_connections must be > 0");
  if (c.max_message_size < 1024 || c.max_message_size > (1u << 30))
    problems.push_back("limits.max_message_size must be between 1024 and 1073741824");
  if (c.max_buffered_bytes < c.max_message_size)
    problems.push_back("limits.max_buffered_bytes must be at least limits.max_message_size");
  if (c.login_timeout_ms <= 0) problems.push_back("limits.login_timeout_ms must be > 0");
  if (c.max_unauthenticated_connections == 0) problems.push_back("limits.max_unauthenticated_connections must be > 0");
  if (c.max_unauthenticated_per_address == 0) problems.push_back("limits.max_unauthenticated_per_address must be > 0");
  if (c.handshake_timeout_ms <= 0) problems.push_back("limits.handshake_timeout_ms must be > 0");
  if (c.idle_client_timeout_ms < 0) problems.push_back("limits.idle_client_timeout_ms must be >= 0");
  if (c.connect_timeout_ms <= 0) problems.push_back("upstream.connect_timeout_ms must be > 0");
  if (c.query_timeout_ms < 0) problems.push_back("limits.query_timeout_ms must be >= 0 (0: no limit)");
  if (c.upstream_read_timeout_ms < 0) problems.push_back("upstream.read_timeout_ms must be >= 0 (0: no limit)");
  if (c.drain_timeout_ms < 0) problems.push_back("drain.timeout_ms must be >= 0 (0: close every session at once)");
  if (c.http_listen.port != 0 && c.http_listen.port == c.listen.port && c.http_listen.host == c.listen.host)
    problems.push_back("http.listen must differ from listen");
  if (c.io_threads < 0 || c.io_threads > 256) problems.push_back("io_threads must be 0..256");
  if (c.io_poll_us < 0 || c.io_poll_us > 10000) problems.push_back("io_poll_us must be 0..10000 (0: never poll)");
  if (c.stats_interval_seconds < 0) problems.push_back("log.stats_interval_seconds must be >= 0 (0: never)");
  if (c.catalog_refresh_seconds < 0) problems.push_back("catalog.refresh_seconds must be >= 0 (0: never refresh)");
  validate_peers(c, problems);
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok = level_ok || c.log_level == l;
  if (!level_ok) problems.push_back("log.level must be one of trace, debug, info, warn, error, critical, off");
  return problems;
}

}  // namespace blueshift::proxy

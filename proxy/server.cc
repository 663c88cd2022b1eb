#include "proxy/server.h"
#include "proxy/session_options.h"

#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>

#include "proxy/budget_wait.h"
#include "proxy/config_reload.h"
#include "proxy/control_plane.h"
#include "proxy/drain.h"
#include "proxy/governor_metrics.h"
#include "proxy/http_server.h"
#include "proxy/routing_settings.h"
#include "proxy/tier_router.h"
#include "proxy/listener.h"
#include "proxy/stats_reporter.h"
#include "proxy/upsert_settings.h"

namespace blueshift::proxy {

std::unique_ptr<ssl::context> make_client_tls_context(const Config& config) {
  if (!config.tls_enabled()) return nullptr;
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  error_code ec;
  context->use_certificate_chain_file(config.tls_cert_file, ec);
  if (ec) throw std::runtime_error("tls.cert_file '" + config.tls_cert_file + "': " + ec.message());
  context->use_private_key_file(config.tls_key_file, ssl::context::pem, ec);
  if (ec) throw std::runtime_error("tls.key_file '" + config.tls_key_file + "': " + ec.message());
  return context;
}

std::unique_ptr<ssl::context> make_upstream_tls_context(const Config& config) {
  if (config.upstream_tls == UpstreamTls::Disable) return nullptr;
  auto context = std::make_unique<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
  if (!config.upstream_ca_file.empty()) {
    error_code ec;
    context->load_verify_file(config.upstream_ca_file, ec);
    if (ec) throw std::runtime_error("upstream.ca_file '" + config.upstream_ca_file + "': " + ec.message());
  }
  return context;
}

struct Server::Impl {
  explicit Impl(std::shared_ptr<const Config> config) : listener(context, io_thread_count(*config)) {
    context.config = std::move(config);
    context.client_tls = make_client_tls_context(*context.config);
    context.upstream_tls = make_upstream_tls_context(*context.config);
    const Config& c = *context.config;
    if (c.policies) {
      context.governor = policies::Governor::create(*c.policies, c.catalog_conninfo, c.audit_file);
      add_governor_collector(context.registry, context.governor);
      context.budgets = make_budgets(c.policies.get(), c.catalog_conninfo);
    }
    // Made whenever there is a catalog (it reads nothing until asked), so that a reload
    // that switches upserts on finds the key look-up there.
    if (!c.catalog_conninfo.empty()) context.upsert_keys = upsert_keys(c);
    context.routing = std::make_shared<Routing>(c.routing, RoutingSources{c.catalog_conninfo, c.audit_file, context.governor,
                                                                             c.catalog_refresh_seconds});
    context.router = context.routing->router();
    context.conversation_options = make_conversation_options(context, c);
  }

  // Keys read with the catalog's connection, on the blocking pool.
  std::shared_ptr<UpsertKeys> upsert_keys(const Config& c) {
    UpsertKeys::Options o;
    o.load = [conninfo = c.catalog_conninfo](const std::string& db) { return policies::load_table_keys(conninfo, db); };
    o.post = [this](std::function<void()> read) { asio::post(context.blocking, std::move(read)); };
    o.max_age = std::chrono::seconds(c.catalog_refresh_seconds);
    return std::make_shared<UpsertKeys>(std::move(o));
  }

  ServerContext context;
  Listener listener;
};

namespace {

// For /readyz: why new clients should go elsewhere now, "" when they need not.
std::string not_ready(const ServerContext& context) {
  if (context.draining.load(std::memory_order_relaxed)) return "draining";
  if (context.governor && !context.governor->catalog_ready()) return "the catalog has not loaded yet";
  return "";
}

// SIGHUP (on the control thread) and the console's RELOAD (on the blocking pool): the whole
// file again. What can fail (reading, validation, TLS files, the policies) runs before
// anything is applied, so a bad file changes nothing. Returns why it failed, "" when applied.
std::string reload_configuration(ServerContext& context) {
  static std::mutex one_at_a_time;
  std::lock_guard lock(one_at_a_time);
  const Config& running = *context.config;
  try {
    std::vector<std::string> restart;
    auto fresh = std::make_shared<const Config>(reread_config(running, &restart));
    for (const auto& key : restart)
      spdlog::warn("reload: '{}' changed, which takes a restart; it keeps its running value until then", key);
    auto tls = make_client_tls_context(*fresh);
    std::string error;
    if (context.governor && !context.governor->reload(fresh->policies ? *fresh->policies : YAML::Node(), &error))
      throw std::runtime_error(error);
    context.client_tls = std::move(tls);
    if (context.routing) context.routing->reload(fresh->routing);
    spdlog::set_level(spdlog::level::from_str(fresh->log_level));
    context.conversation_options = make_conversation_options(context, *fresh);
    context.config = fresh;
    context.metrics.reloads_ok.inc();
    spdlog::info("configuration reloaded from {}: new sessions take it, open ones from their next statement",
                 fresh->source_path);
  } catch (const std::exception& e) {
    context.metrics.reloads_failed.inc();
    spdlog::error("reload failed, the running configuration stays: {}", e.what());
    return e.what();
  }
  return "";
}

}  // namespace

Server::Server(std::shared_ptr<const Config> config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;

int Server::run() {
  const Config& c = *impl_->context.config;
  Listener& listener = impl_->listener;
  if (!listener.open()) return 2;
  spdlog::info("blueshift listening on {} -> upstream {} (upstream tls {}, client tls {}, {} io threads, policies {})",
               c.listen.to_string(), c.upstream.to_string(),
               c.upstream_tls == UpstreamTls::Disable ? "off" : c.upstream_tls == UpstreamTls::Require ? "require" : "verify-full",
               c.tls_enabled() ? (c.tls_require ? "required" : "offered") : "off", listener.thread_count(),
               impl_->context.governor ? "on" : "off");
  ServerContext& context = impl_->context;
  std::optional<HttpServer> http;
  if (c.http_listen.port != 0) {
    http.emplace(listener.main_loop(), HttpSources{&context.registry, [&context] { return not_ready(context); }});
    if (!http->open(c.http_listen)) return 2;
    http->start();
    spdlog::info("metrics and health on http://{}/metrics, /healthz, /readyz", c.http_listen.to_string());
  }
  Drain drain(listener.main_loop(), context, [&listener] { listener.stop_accepting(); }, [&listener] { listener.stop(); });
  ControlPlane control(listener.main_loop(), context.config.shared(), context.governor, [&drain] { drain.begin(); },
                       [&context] { reload_configuration(context); });
  context.console.reload = [&context] { return reload_configuration(context); };
  context.console.shutdown = [&context, &listener, &drain] {
    if (!context.draining.load()) asio::post(listener.main_loop(), [&drain] { drain.begin(); });
  };
  StatsReporter stats(listener.main_loop(), impl_->context.registry, c.stats_interval_seconds);
  listener.run();
  return 0;
}

}  // namespace blueshift::proxy

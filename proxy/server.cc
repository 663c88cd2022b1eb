#include "proxy/server.h"

#include <spdlog/spdlog.h>

#include "proxy/control_plane.h"
#include "proxy/governor_metrics.h"
#include "proxy/routing_settings.h"
#include "proxy/listener.h"
#include "proxy/stats_reporter.h"

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
    }
    context.router = make_router(c.routing);
  }

  ServerContext context;
  Listener listener;
};

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
  ControlPlane control(listener.main_loop(), impl_->context.config, impl_->context.governor,
                       [&listener] { listener.stop(); });
  StatsReporter stats(listener.main_loop(), impl_->context.registry, c.stats_interval_seconds);
  listener.run();
  return 0;
}

}  // namespace blueshift::proxy

#include "proxy/server.h"

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <thread>
#include <vector>

#include "proxy/session.h"
#include "proxy/thread_placement.h"

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
  explicit Impl(std::shared_ptr<const Config> config) {
    context.config = std::move(config);
    context.client_tls = make_client_tls_context(*context.config);
    context.upstream_tls = make_upstream_tls_context(*context.config);
    const Config& c = *context.config;
    if (c.policies) {
      context.governor = policies::Governor::create(*c.policies, c.catalog_conninfo, c.audit_file);
    }
    unsigned threads = c.io_threads > 0 ? static_cast<unsigned>(c.io_threads) : std::thread::hardware_concurrency();
    if (threads == 0) threads = 1;
    for (unsigned i = 0; i < threads; ++i) loops.push_back(std::make_unique<asio::io_context>(1));
  }

  awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    size_t next = 0;
    for (;;) {
      asio::io_context& loop = *loops[next++ % loops.size()];
      auto [ec, socket] = co_await acceptor.async_accept(loop, use_nothrow);
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) {
        // Out of descriptors and the like: log, back off a little, keep serving.
        spdlog::warn("accept failed: {}", ec.message());
        asio::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
        co_await pause.async_wait(use_nothrow);
        continue;
      }
      context.counters.connections_total.fetch_add(1);
      const uint64_t active = context.counters.connections_active.fetch_add(1) + 1;
      const bool over = active > context.config->max_client_connections;
      if (over) context.counters.connections_rejected.fetch_add(1);
      auto session = std::make_shared<Session>(context, loop.get_executor(), std::move(socket), over);
      asio::co_spawn(loop, session->run(session), &Session::log_unexpected);
    }
  }

  ServerContext context;
  std::vector<std::unique_ptr<asio::io_context>> loops;
};

Server::Server(std::shared_ptr<const Config> config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;

int Server::run() {
  const Config& c = *impl_->context.config;
  asio::io_context& main_loop = *impl_->loops[0];
  tcp::acceptor acceptor(main_loop);
  error_code ec;
  tcp::resolver resolver(main_loop);
  auto endpoints = resolver.resolve(c.listen.host, std::to_string(c.listen.port), ec);
  if (ec || endpoints.empty()) {
    spdlog::critical("cannot resolve listen address {}: {}", c.listen.to_string(), ec.message());
    return 2;
  }
  const tcp::endpoint endpoint = *endpoints.begin();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::critical("cannot listen on {}: {}", c.listen.to_string(), ec.message());
    return 2;
  }
  spdlog::info("blueshift listening on {} -> upstream {} (upstream tls {}, client tls {}, {} io threads, policies {})",
               c.listen.to_string(), c.upstream.to_string(),
               c.upstream_tls == UpstreamTls::Disable ? "off" : c.upstream_tls == UpstreamTls::Require ? "require" : "verify-full",
               c.tls_enabled() ? (c.tls_require ? "required" : "offered") : "off", impl_->loops.size(),
               impl_->context.governor ? "on" : "off");

  asio::co_spawn(main_loop, impl_->accept_loop(acceptor), asio::detached);

  asio::signal_set signals(main_loop, SIGINT, SIGTERM);
  signals.async_wait([&](const error_code& e, int signal) {
    if (e) return;
    spdlog::info("signal {} received, shutting down", signal);
    error_code ignored;
    acceptor.close(ignored);
    for (auto& loop : impl_->loops) loop->stop();
  });
  // Reloads and catalog refreshes block on file and libpq I/O: they run on a control
  // thread of their own, never on a session loop. Sessions keep deciding on the old
  // snapshot until the new one is swapped in.
  asio::thread_pool control(1);
  auto governor = impl_->context.governor;
  asio::signal_set reload(main_loop, SIGHUP);
  std::function<void(const error_code&, int)> on_hup = [&](const error_code& e, int) {
    if (e) return;
    asio::post(control, [governor, path = c.source_path] {
      if (!governor || path.empty()) {
        spdlog::info("SIGHUP: no policies configured from a file, nothing to reload");
        return;
      }
      try {
        const Config fresh = load_config(path);
        std::string error;
        if (governor->reload(fresh.policies ? *fresh.policies : YAML::Node(), &error)) {
          spdlog::info("policies reloaded from {}", path);
        } else {
          spdlog::error("reload failed, keeping the previous policies: {}", error);
        }
      } catch (const std::exception& ex) {
        spdlog::error("reload failed, keeping the previous policies: {}", ex.what());
      }
    });
    reload.async_wait(on_hup);
  };
  reload.async_wait(on_hup);

  asio::steady_timer refresh(control);
  std::function<void(const error_code&)> on_refresh = [&](const error_code& e) {
    if (e) return;
    std::string error;
    if (!governor->refresh_catalog(&error)) spdlog::warn("catalog refresh failed, keeping the previous catalog: {}", error);
    refresh.expires_after(std::chrono::seconds(c.catalog_refresh_seconds));
    refresh.async_wait(on_refresh);
  };
  // Counters, one info line at a fixed interval: what an operator greps for first.
  asio::steady_timer stats(main_loop);
  std::function<void(const error_code&)> on_stats = [&](const error_code& e) {
    if (e) return;
    const Counters& n = impl_->context.counters;
    std::string policy_part;
    if (governor) {
      const auto g = governor->counters();
      policy_part = fmt::format(" checked={} parsed={} cache_hits={} refused={} warned={} audited={}", g.checked,
                                g.parsed, g.cache_hits, g.refused, g.warned, g.audited);
    }
    spdlog::info("stats connections_active={} connections_total={} rejected={} cancels_forwarded={} "
                 "cancels_unknown={} upstream_failures={}{}",
                 n.connections_active.load(), n.connections_total.load(), n.connections_rejected.load(),
                 n.cancels_forwarded.load(), n.cancels_unknown.load(), n.upstream_failures.load(), policy_part);
    stats.expires_after(std::chrono::seconds(c.stats_interval_seconds));
    stats.async_wait(on_stats);
  };
  if (c.stats_interval_seconds > 0) {
    stats.expires_after(std::chrono::seconds(c.stats_interval_seconds));
    stats.async_wait(on_stats);
  }

  if (governor && !c.catalog_conninfo.empty() && c.catalog_refresh_seconds > 0) {
    refresh.expires_after(std::chrono::seconds(c.catalog_refresh_seconds));
    refresh.async_wait(on_refresh);
  }

  // One core per I/O thread (thread_placement.h); the main thread runs the first loop and
  // is pinned last, after starting the others, which would otherwise inherit its core.
  const std::vector<int> cores = c.pin_io_threads ? io_thread_cores(allowed_cores(), impl_->loops.size()) : std::vector<int>{};
  auto pin = [](int core) {
    if (core >= 0 && !pin_current_thread(core)) spdlog::warn("could not pin an I/O thread to core {}", core);
  };
  std::vector<std::thread> threads;
  for (size_t i = 1; i < impl_->loops.size(); ++i) {
    threads.emplace_back([loop = impl_->loops[i].get(), core = cores.empty() ? -1 : cores[i], &pin] {
      pin(core);
      auto guard = asio::make_work_guard(*loop);
      loop->run();
    });
  }
  if (!cores.empty()) {
    pin(cores[0]);
    spdlog::info("I/O threads pinned to cores {}", fmt::join(cores, ","));
  }
  main_loop.run();
  for (auto& loop : impl_->loops) loop->stop();
  for (auto& t : threads) t.join();
  asio::post(control, [&refresh] { refresh.cancel(); });
  control.stop();
  control.join();
  return 0;
}

}  // namespace blueshift::proxy

// The listener; see listener.h.
#include "proxy/listener.h"
#include "proxy/block_pool.h"

#include <spdlog/fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "proxy/cgroup_cpu.h"
#include "proxy/loop_runner.h"
#include "proxy/pin_keeper.h"
#include "proxy/session.h"
#include "proxy/thread_placement.h"

namespace blueshift::proxy {

IoThreadPlan io_thread_plan(const Config& config) {
  const size_t allowed = allowed_cores().size();
  return plan_io_threads(config.io_threads, config.pin_io_threads,
                         allowed > 0 ? allowed : std::thread::hardware_concurrency(), cgroup_cpu_limit(),
                         config.io_poll_us);
}

unsigned io_thread_count(const Config& config) { return io_thread_plan(config).threads; }

Listener::Listener(ServerContext& context, unsigned threads) : context_(context) {
  for (unsigned i = 0; i < threads; ++i) loops_.push_back(std::make_unique<asio::io_context>(1));
  acceptor_ = std::make_unique<tcp::acceptor>(main_loop());
}

Listener::~Listener() = default;

bool Listener::open() {
  const Config& c = *context_.config;
  error_code ec;
  tcp::resolver resolver(main_loop());
  auto endpoints = resolver.resolve(c.listen.host, std::to_string(c.listen.port), ec);
  if (ec || endpoints.empty()) {
    spdlog::critical("cannot resolve listen address {}: {}", c.listen.to_string(), ec.message());
    return false;
  }
  const tcp::endpoint endpoint = *endpoints.begin();
  acceptor_->open(endpoint.protocol(), ec);
  if (!ec) acceptor_->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_->bind(endpoint, ec);
  if (!ec) acceptor_->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::critical("cannot listen on {}: {}", c.listen.to_string(), ec.message());
    return false;
  }
  return true;
}

tcp::endpoint Listener::local_endpoint() const {
  error_code ignored;
  return acceptor_->local_endpoint(ignored);
}

awaitable<void> Listener::accept_loop() {
  size_t next = 0;
  for (;;) {
    asio::io_context& loop = *loops_[next++ % loops_.size()];
    auto [ec, socket] = co_await acceptor_->async_accept(loop, use_nothrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // Out of descriptors and the like: log, back off a little, keep serving.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor_->get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    admit(std::move(socket), loop);
  }
}

// Every client gets a Session: one over a limit is told so by it (connection_slots.h).
void Listener::admit(tcp::socket socket, asio::io_context& loop) {
  ProxyMetrics& m = context_.metrics;
  m.connections_total.inc();
  m.connections_active.add(1);
  // Pooled: sessions are the long-lived objects that come in thousands (block_pool.h).
  auto session = std::allocate_shared<Session>(PooledAllocator<Session>(), context_, loop.get_executor(), std::move(socket));
  asio::co_spawn(loop, session->run(session), &Session::log_unexpected);
}

void Listener::run() {
  asio::co_spawn(main_loop(), accept_loop(), asio::detached);
  // One core per I/O thread (thread_placement.h); the main thread runs the first loop and
  // is pinned last, after starting the others, which would otherwise inherit its core.
  const IoThreadPlan plan = io_thread_plan(*context_.config);
  spdlog::info("{}", plan.why);
  const std::vector<int> cores = plan.pin ? io_thread_cores(allowed_cores(), loops_.size()) : std::vector<int>{};
  auto pin = [](int core) {
    if (core >= 0 && !pin_current_thread(core)) spdlog::warn("could not pin an I/O thread to core {}", core);
  };
  if (context_.config->unpin_when_crowded) {
    for (size_t i = 0; i < cores.size(); ++i) start_pin_keeper(*loops_[i], cores[i], allowed_cores());
  }
  std::vector<std::thread> threads;
  for (size_t i = 1; i < loops_.size(); ++i) {
    threads.emplace_back([loop = loops_[i].get(), core = cores.empty() ? -1 : cores[i], &pin, poll = plan.poll] {
      pin(core);
      auto guard = asio::make_work_guard(*loop);
      run_io_loop(*loop, poll);
    });
  }
  if (!cores.empty()) {
    pin(cores[0]);
    spdlog::info("I/O threads pinned to cores {}", fmt::join(cores, ","));
  }
  run_io_loop(main_loop(), plan.poll);
  for (auto& loop : loops_) loop->stop();
  for (auto& t : threads) t.join();
}

void Listener::stop_accepting() {
  error_code ignored;
  acceptor_->close(ignored);
}

void Listener::stop() {
  stop_accepting();
  for (auto& loop : loops_) loop->stop();
}

}  // namespace blueshift::proxy

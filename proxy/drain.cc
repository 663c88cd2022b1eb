// The graceful drain; see drain.h.
#include "proxy/drain.h"

#include <spdlog/spdlog.h>

#include "proxy/session.h"

namespace blueshift::proxy {
namespace {

// How often the drain counts the sessions left, and how long sessions ended at the
// deadline get to send their FATAL and close.
constexpr std::chrono::milliseconds kLookEvery{50};
constexpr std::chrono::seconds kGraceAfterDeadline{2};

}  // namespace

Drain::Drain(asio::io_context& main_loop, ServerContext& context, std::function<void()> stop_accepting,
             std::function<void()> stop)
    : context_(context), stop_accepting_(std::move(stop_accepting)), stop_(std::move(stop)), timer_(main_loop) {}

void Drain::begin() {
  if (context_.draining.exchange(true)) {
    finish("a second stop signal: exiting without waiting for sessions");
    return;
  }
  context_.metrics.draining.set(1);
  stop_accepting_();
  const int timeout_ms = context_.config->drain_timeout_ms;
  deadline_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  spdlog::info("draining: no new connections; {} sessions may finish their statement and transaction within {} ms "
               "(drain.timeout_ms)",
               context_.sessions.size(), timeout_ms);
  context_.sessions.post_each([](Session& s) { s.drain(false); });
  look_again();
}

void Drain::look_again() {
  if (done_) return;
  const size_t left = context_.sessions.size();
  if (left == 0 && context_.cancels_in_flight.load() == 0) {
    finish("drain complete: every session has ended");
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  if (!forced_ && now >= deadline_) {
    forced_ = true;
    deadline_ = now + kGraceAfterDeadline;
    spdlog::warn("drain deadline passed: ending the {} sessions left, their queries cancelled", left);
    context_.sessions.post_each([](Session& s) { s.drain(true); });
  } else if (forced_ && now >= deadline_) {
    finish("drain: sessions still open after the deadline and its grace; exiting");
    return;
  }
  timer_.expires_after(kLookEvery);
  timer_.async_wait([this](const error_code& e) {
    if (!e) look_again();
  });
}

void Drain::finish(const char* how) {
  if (done_) return;
  done_ = true;
  timer_.cancel();
  spdlog::info("{}", how);
  stop_();
}

}  // namespace blueshift::proxy

// A session's control from outside its pumps: parking and waking idle pumps, the ends a
// task, the drain or KILL give the session, the PAUSE wait, and the admin console's view
// of the session. The pumps and the login are in session.cc.
#include "proxy/session.h"
#include "proxy/session_fatal.h"

#include "proxy/admin_console.h"

#include <bit>
#include <memory>
#include <chrono>
#include <utility>

namespace blueshift::proxy {

// ------------------------------------------------------------------ tasks and parking

template <uint8_t Index>
void Session::wake_task(const std::shared_ptr<void>& target, error_code ec) {
  auto self = std::static_pointer_cast<Session>(target);
  // Stopping: the session's end does not wait for parked tasks.
  if (self->stopping_ || !(self->parked_ & (1u << Index))) return;
  self->unpark(1u << Index);
  ++self->tasks_running_;
  if (ec) return self->task_ended(self, Index, nullptr);  // the watch failed: as a read error would
  self->start_task(self, Index);
}

void Session::task_ended(const std::shared_ptr<Session>& self, uint8_t index, std::exception_ptr error) {
  // An exception is a bug; it ends the session like any other end of a task.
  if (error) log_unexpected(error);
  const auto bit = static_cast<uint8_t>(1u << index);
  const bool park = (parking_ & bit) && !error && !stopping_ && !(index == 0 && client_stop_requested_);
  parking_ &= ~bit;
  if (park) {
    // An idle pump's frames go; a Sleeper (this session and wake_task) waits in their place.
    --tasks_running_;
    parked_ |= bit;
    server_.metrics.parked_tasks.add(1);
    if (index == 0) client_.sleep({self, &Session::wake_task<0>});
    else upstream_->sleep({self, &Session::wake_task<1>});
    // The ended task's cancellation handler keeps its memory in stops_[index] (Asio frees it
    // with the signal): free it while parked. Posted, so that the task's frames, which may
    // still run this, are gone first.
    asio::post(executor_, [self, index] { self->release_stop(index); });
    return;
  }
  if (!stopping_) {
    stopping_ = true;
    for (uint8_t i = 0; i < stops_.size(); ++i) {
      if (i != index) stops_[i].emit(asio::cancellation_type::terminal);  // no-op for a task not run
    }
  }
  if (--tasks_running_ == 0) asio::co_spawn(executor_, finish(self), &Session::log_unexpected);
}

void Session::release_stop(uint8_t index) {
  if (!(parked_ & (1u << index))) return;  // woken meanwhile: its new task holds the signal
  std::destroy_at(&stops_[index]);
  std::construct_at(&stops_[index]);
}

void Session::unpark(uint8_t bits) {
  bits &= parked_;
  parked_ &= ~bits;
  server_.metrics.parked_tasks.add(-std::popcount(bits));
}

void Session::end_client_pump() {
  client_stop_requested_ = true;  // one about to park ends instead (task_ended)
  if (!(parked_ & 1u)) {
    stops_[0].emit(asio::cancellation_type::terminal);
    return;
  }
  // Parked: it ends where it sleeps, holding the session (its Sleeper's reference) meanwhile.
  const Readiness::Sleeper sleeper = client_.take_sleeper();
  if (!sleeper) return;  // its wake is on its way (wake_task ends it)
  unpark(1u);
  ++tasks_running_;
  task_ended(std::static_pointer_cast<Session>(sleeper.target), 0, nullptr);
}

// ------------------------------------------------------------------ drain and KILL

bool Session::idle_between_statements() const {
  return !conversation_.awaiting_reply() && conversation_.transaction_status() == 'I' &&
         client_stream_remaining_ == 0 && server_stream_remaining_ == 0;
}

void Session::end_for_shutdown() {
  end_reason_ = "shutdown";
  // PostgreSQL's own words and code at a shutdown: drivers and poolers recognise them.
  final_error_ = fatal("57P01", "terminating connection due to administrator command");
}

void Session::drain(bool force) {
  if (!tasks_started() || stopping_) return;  // logging in (run() looks) or ending already
  const bool idle = idle_between_statements();
  if (!idle && !force) return;  // pump_server looks again when the query ends
  if (!idle) cancel_upstream_query();
  end_for_shutdown();
  if (!idle) end_reason_ = "shutdown: drain deadline passed";
  end_client_pump();
}

void Session::kill() {
  if (!tasks_started() || stopping_) return;  // logging in (the login timeout bounds it) or ending
  if (!idle_between_statements()) cancel_upstream_query();
  end_reason_ = "killed from the admin console";
  final_error_ = fatal("57P01", "terminating connection due to administrator command",
                       "Ended by KILL in the blueshift admin console.");
  end_client_pump();
}

// ------------------------------------------------------------------ admin console and PAUSE

awaitable<bool> Session::console_login() {
  console_ = std::make_unique<AdminConsole>(server_, client_, client_in_, identity_);
  const bool ok = co_await console_->login();
  if (!ok) end_reason_ = console_->end_reason();
  co_return ok;
}

awaitable<bool> Session::wait_while_paused() {
  // Polled: PAUSE is rare and short, and a wait of its own per session would cost every
  // session memory while nothing is paused. The session's stop cancels the timer.
  constexpr std::chrono::milliseconds kLookEvery{20};
  asio::steady_timer timer(executor_);
  held_by_pause_ = true;
  while (server_.console.paused.load(std::memory_order_relaxed) && !stopping_) {
    timer.expires_after(kLookEvery);
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) break;
  }
  held_by_pause_ = false;
  co_return !stopping_;
}

ClientRow Session::describe() const {
  ClientRow r;
  r.id = table_id_;
  r.user = identity_.user;
  r.database = identity_.database;
  r.application_name = identity_.application_name;
  r.address = client_address_;
  r.tls = client_.is_tls();
  r.console = console_ != nullptr;
  r.connected_at = connected_at_;
  const bool busy = conversation_.awaiting_reply();
  if (!tasks_started()) r.state = stopping_ ? "closing" : "login";
  else if (console_) r.state = "console";
  else if (held_by_pause_) r.state = "paused";
  else if (busy) r.state = "active";
  else r.state = conversation_.transaction_status() == 'I' ? "idle" : "idle in transaction";
  if (busy && tasks_started())
    r.statement_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - busy_since_).count();
  r.backend_pid = client_key_ ? client_key_->process_id : 0;
  if (upstream_) r.upstream = config_->upstream.to_string();
  r.traffic = traffic_;
  return r;
}

}  // namespace blueshift::proxy

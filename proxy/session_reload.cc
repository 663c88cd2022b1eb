// Open sessions taking a reloaded configuration; see session_reload.h.
#include "proxy/session_reload.h"

#include "proxy/session.h"
#include "proxy/session_options.h"

#include <bit>

namespace blueshift::proxy {

bool has_time_limits(const Config& config) {
  return config.idle_client_timeout_ms > 0 || config.query_timeout_ms > 0 || config.upstream_read_timeout_ms > 0;
}

bool Session::take_reloaded_config() {
  const Config* current = server_.config.get();
  if (current == config_ || stopping_) return false;
  // The options were stored before the configuration: these are the ones made for it.
  conversation_.set_options(current_conversation_options(server_));
  config_ = current;
  // A limit switched on by the reload counts from now, not from the login.
  last_activity_ = last_server_read_ = std::chrono::steady_clock::now();
  // Until one task ends (stopping_), every task started still runs: the watchdog is the third.
  // Parked pumps are started tasks too.
  const bool watchdog_started = tasks_running_ + std::popcount(parked_) == stops_.size();
  if (watchdog_started) {
    if (watchdog_timer_ != nullptr) watchdog_timer_->cancel();  // it looks again, with the new limits
  } else if (has_time_limits(*config_)) {
    ++tasks_running_;
    start_task(shared_from_this(), static_cast<uint8_t>(stops_.size() - 1));
  }
  return true;
}

}  // namespace blueshift::proxy

// Session's side of a staged transaction's retry (plan_retry.h): the backoff, then the
// attempt written upstream. Client messages wait meanwhile (Conversation answers Wait), so
// this is the only writer upstream.
#include "proxy/session.h"

namespace blueshift::proxy {

awaitable<bool> Session::retry_plan() {
  asio::steady_timer timer(executor_);
  timer.expires_after(conversation_.retry_wait());
  co_await timer.async_wait(use_nothrow);
  if (stopping_) co_return false;
  std::string bytes;
  conversation_.retry(&bytes);
  auto [ec, n] = co_await upstream_->write(asio::buffer(bytes));
  if (ec) {
    if (ec != asio::error::operation_aborted) end_reason_ = "upstream write failed: " + ec.message();
    co_return false;
  }
  co_return true;
}

}  // namespace blueshift::proxy

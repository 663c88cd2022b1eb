// PAUSE in the admin console, as PgBouncer's: new statements are held at once (each
// session waits before its next statement, Session::wait_while_paused), and PAUSE answers
// only once no statement runs upstream, so that an operator who sees "PAUSE" knows the
// warehouse is idle of this proxy's work.
//
//   - A statement already sent (its reply awaited, SHOW CLIENTS state "active") runs to its
//     end; a transaction stays open, its next statement held like any other.
//   - console.pause_timeout_ms (default 60 s; 0: no limit): if statements still run then,
//     PAUSE answers ERROR 57014 naming how many; the proxy stays paused, new statements still
//     wait. RESUME ends the pause; PAUSE again waits again.
//   - A RESUME (from another console session) while PAUSE waits: PAUSE answers ERROR 57014
//     too, as the pause it waited for is over.
#include <chrono>
#include <string>
#include <vector>

#include "protocol/error_builder.h"
#include "proxy/admin_console.h"
#include "proxy/console_result.h"

namespace blueshift::proxy {
namespace {

// How often PAUSE looks at the sessions again: PAUSE is rare; a poll costs nothing between.
constexpr std::chrono::milliseconds kLookEvery{50};

size_t running_statements(const std::vector<ClientRow>& sessions) {
  size_t n = 0;
  for (const ClientRow& r : sessions) n += r.state == "active";
  return n;
}

std::string not_paused(const std::string& message, const std::string& detail, const std::string& hint) {
  return protocol::encode_error(protocol::ProxyError{"ERROR", "57014", message, detail, hint});
}

}  // namespace

awaitable<std::string> AdminConsole::pause() {
  server_.console.paused.store(true);
  const int timeout_ms = server_.config->console ? server_.config->console->pause_timeout_ms : 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    const std::vector<ClientRow> sessions = co_await gather_sessions();
    const size_t running = running_statements(sessions);
    if (!server_.console.paused.load())
      co_return not_paused("PAUSE ended by RESUME before the running statements finished",
                           std::to_string(running) + " statement(s) were still running.", "");
    if (running == 0) co_return encode_command_complete("PAUSE");
    if (timeout_ms > 0 && std::chrono::steady_clock::now() >= deadline)
      co_return not_paused("PAUSE timed out: " + std::to_string(running) + " statement" + (running == 1 ? "" : "s") +
                               " still running after " + std::to_string(timeout_ms) +
                               " ms (console.pause_timeout_ms)",
                           "The proxy stays paused: new statements wait until RESUME.",
                           "SHOW CLIENTS lists the active ones; run PAUSE again to wait longer, KILL one, or RESUME.");
    timer.expires_after(kLookEvery);
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) co_return std::string();  // the console session is ending (KILL, drain)
  }
}

}  // namespace blueshift::proxy

// What the admin console asks of the process that only the server can do: the same reload
// as SIGHUP and the same drain as SIGTERM. Set by Server::run; unset (empty) before.
#pragma once

#include <atomic>
#include <functional>
#include <string>

namespace blueshift::proxy {

struct ConsoleHooks {
  // Blocks (reads files, may reach the catalog): call off the I/O threads. "" when the new
  // configuration applies, else why it was rejected (the running one stays).
  std::function<std::string()> reload;
  // Begins the graceful drain (a no-op once it has begun); callable from any thread.
  std::function<void()> shutdown;
  // PAUSE: sessions hold new statements until RESUME (Session::wait_while_paused,
  // session_control.cc; the console's wait for running ones: console_pause.cc).
  std::atomic<bool> paused{false};
};

}  // namespace blueshift::proxy

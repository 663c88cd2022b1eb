// The admin console: a client that asks for the virtual database `blueshift` talks to the
// proxy itself, never to the warehouse (PgBouncer's `pgbouncer` database). It logs in as
// one of console.users (console_settings.h: SCRAM-SHA-256 or MD5) and then sends commands
// as simple Queries (console_command.h), each answered as a table psql shows, or as a
// command tag: SHOW STATS/CLIENTS/SERVERS/RULES/CONFIG/VERSION, RELOAD, PAUSE, RESUME,
// KILL <id>, SHUTDOWN. Anything else gets an ERROR with a HINT listing them, and the
// session goes on; the extended protocol gets an ERROR up to its Sync.
//
// Session hands its client stream over after the startup packet (session.cc) and runs
// serve() as its one task, so the drain and KILL end a console session as any other.
#pragma once

#include <string>
#include <vector>

#include "policies/governor.h"
#include "proxy/asio.h"
#include "proxy/buffer.h"
#include "proxy/console_command.h"
#include "proxy/console_rows.h"
#include "proxy/console_settings.h"
#include "proxy/server_context.h"
#include "proxy/stream.h"

namespace blueshift::proxy {

class AdminConsole {
 public:
  AdminConsole(ServerContext& server, Stream& client, Buffer& in, const policies::SessionContext& identity);
  // Authenticates the client against console.users and greets it up to ReadyForQuery.
  // false when refused (the client got a FATAL) or gone; end_reason() says why.
  awaitable<bool> login();
  // Answers commands until the client leaves or the session's task is cancelled.
  awaitable<void> serve();
  [[nodiscard]] const std::string& end_reason() const { return end_reason_; }

 private:
  // The next whole message, at the start of in_ (consumed by the caller); false when the
  // client left or sent something unreadable (end_reason_ set).
  awaitable<bool> read_message(protocol::Frame* frame);
  awaitable<bool> write(std::string bytes);
  // The client's answer to an authentication request ('p'), its payload; nullopt if none.
  awaitable<std::optional<std::string>> read_password_message();
  awaitable<bool> authenticate_scram(const ScramVerifier& verifier);
  awaitable<bool> authenticate_md5(const std::string& stored);
  // The FATAL a refused login gets (end_reason_ set).
  std::string refuse_login(const std::string& sqlstate, const std::string& message, const std::string& hint);
  // The reply to one simple Query, without its ReadyForQuery.
  awaitable<std::string> answer(std::string_view sql);
  awaitable<std::string> run(const ConsoleCommand& command);
  // Every session's own description, taken on its own thread.
  awaitable<std::vector<ClientRow>> gather_sessions();
  // SHOW CLIENTS, SERVERS or STATS of the sessions gathered.
  [[nodiscard]] std::string show_sessions(ConsoleCommand::Kind kind, const std::vector<ClientRow>& sessions) const;
  awaitable<std::string> reload();
  // PAUSE: holds new statements, and answers once none runs upstream (console_pause.cc).
  awaitable<std::string> pause();
  awaitable<std::string> kill(uint64_t id);
  // Extended-protocol messages up to and including Sync: one ERROR for the lot.
  awaitable<bool> refuse_extended();

  ServerContext& server_;
  Stream& client_;
  Buffer& in_;
  const policies::SessionContext& identity_;
  std::string end_reason_ = "client closed";
};

}  // namespace blueshift::proxy

// The admin console's commands, read from a simple Query's text: PgBouncer's words, case
// insensitive, one command a query, an optional trailing semicolon. Asio-free.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace blueshift::proxy {

struct ConsoleCommand {
  enum class Kind {
    ShowStats, ShowClients, ShowServers, ShowRules, ShowConfig, ShowVersion,
    Reload, Pause, Resume, Kill, Shutdown,
    Empty,    // nothing but blanks and semicolons: EmptyQueryResponse, as a server answers
    Unknown,  // anything else (plain SQL included): an error with the list below as HINT
  };
  Kind kind = Kind::Unknown;
  uint64_t client_id = 0;  // Kill
  std::string error;       // Unknown, or a Kill without a valid id: what is wrong
};

// What the console answers, for the HINT of an unknown command.
inline constexpr std::string_view kConsoleCommands =
    "The admin console takes: SHOW STATS, SHOW CLIENTS, SHOW SERVERS, SHOW RULES, SHOW CONFIG, SHOW VERSION, "
    "RELOAD, PAUSE, RESUME, KILL <client id>, SHUTDOWN.";

[[nodiscard]] ConsoleCommand parse_console_command(std::string_view text);

}  // namespace blueshift::proxy

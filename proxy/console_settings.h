// The `console:` section: who may log in to the admin console (the virtual database
// `blueshift`, admin_console.h) and how each proves it. Absent or without users, the
// console is off: a client asking for database `blueshift` is refused, never relayed.
//
//   console:
//     users:
//       - name: admin
//         scram: "SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>"   # PostgreSQL's format
//       - name: ops
//         md5: "md5<md5(password + name)>"                               # PostgreSQL's format
//       - name: robot
//         password_env: BLUESHIFT_CONSOLE_PASSWORD    # or password_file: /run/secrets/console
//     pause_timeout_ms: 60000   # how long PAUSE waits for running statements (0: no limit)
//
// A plain password (from the environment or a file, never the YAML itself) is turned into
// a SCRAM verifier at load, so the password never crosses the wire: SCRAM-SHA-256 for those
// and `scram` users, MD5 for `md5` users. Asio-free.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yaml-cpp/yaml.h"

namespace blueshift::proxy {

// PostgreSQL's SCRAM-SHA-256 verifier, decoded.
struct ScramVerifier {
  int iterations = 0;
  std::string salt;        // raw bytes
  std::string stored_key;  // 32 raw bytes
  std::string server_key;  // 32 raw bytes
};

struct ConsoleUser {
  std::string name;
  std::optional<ScramVerifier> scram;  // set unless md5 is
  std::string md5;                     // "md5" + 32 hex digits
};

struct ConsoleSettings {
  std::vector<ConsoleUser> users;
  // How long PAUSE waits for the statements running upstream to finish (console_pause.cc);
  // 0: as long as they run. `console.pause_timeout_ms`.
  int pause_timeout_ms = 60000;
  [[nodiscard]] bool enabled() const { return !users.empty(); }
  [[nodiscard]] const ConsoleUser* find(std::string_view name) const;
};

// The database name that reaches the console instead of the warehouse.
inline constexpr std::string_view kConsoleDatabase = "blueshift";

// Throws std::runtime_error naming the key ("console.users[0].scram: ...").
[[nodiscard]] ConsoleSettings parse_console_settings(const YAML::Node& node);
// "SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey" (base64 parts), or nullopt.
[[nodiscard]] std::optional<ScramVerifier> parse_scram_verifier(std::string_view text);
// A verifier for password with a fresh random salt (PostgreSQL's 4096 iterations).
[[nodiscard]] ScramVerifier make_scram_verifier(std::string_view password);

}  // namespace blueshift::proxy

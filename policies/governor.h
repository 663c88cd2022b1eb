// The proxy's single entry point into policies: is this statement allowed for this
// session? Thread-safe, shared by all sessions; holds an immutable snapshot of the policy
// configuration and the catalog (shared_ptr<const ...>), swapped atomically on reload.
//
// Decisions are pure functions of (policy snapshot, QueryFacts, session facts); the
// Governor adds caching, the catalog snapshot, audit lines and counters around them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "yaml-cpp/yaml.h"

namespace blueshift::policies {

// Who is asking, as the proxy knows it from the startup packet and the socket.
struct SessionContext {
  std::string user;
  std::string database;
  std::string application_name;
  std::string client_address;
  // The session's search_path as set (startup parameter or SET search_path); may contain
  // "$user". Empty means the server default ("$user", public).
  std::vector<std::string> search_path;
  // True when the server's search_path may differ from search_path (SET LOCAL, SET inside a
  // transaction block that may roll back, set_config(), startup options). Unqualified names
  // then resolve to governed tables first: the proxy never under-governs on a guess.
  bool search_path_uncertain = false;
};

struct Verdict {
  enum class Outcome {
    Pass,    // forward as is
    Notice,  // forward, and send the client a NoticeResponse (warn mode)
    Refuse,  // do not run: the client gets an ErrorResponse (enforce mode)
  };
  Outcome outcome = Outcome::Pass;
  // For Notice and Refuse: the text the client sees.
  // Refuse: 42501 (insufficient_privilege) for every policy refusal; Notice: 01000
  // (warning), sent with severity WARNING.
  std::string sqlstate;
  std::string message;   // one line naming the table and rule
  std::string detail;    // what was found
  std::string hint;      // how to fix the query
  // Set when the text changes the session's search_path (SET search_path ...).
  std::optional<std::vector<std::string>> new_search_path;
  // The text may change search_path in a way new_search_path cannot describe (SET LOCAL,
  // set_config(), several statements around a SET).
  bool search_path_uncertain = false;
};

// Facts of a Parse'd statement whose decision waits for its $n values at Bind.
struct PreparedCheck;
// Catalog source, audit file and clock; see policies/governor_options.h.
struct GovernorOptions;

class Governor {
 public:
  // policies: the `policies:` node of the config (may be null: nothing is governed).
  // catalog_conninfo: libpq connection string of the service connection used to read
  // svv_external_columns / svv_external_partitions and group membership ("" = no catalog).
  // audit_path: file that receives one JSON line per non-pass decision ("" = none).
  // Throws std::runtime_error on an invalid policy configuration (start-up only).
  static std::shared_ptr<Governor> create(const YAML::Node& policies, std::string catalog_conninfo,
                                          std::string audit_path);
  // The same with every collaborator spelled out (tests inject a catalog and a clock).
  static std::shared_ptr<Governor> create(const YAML::Node& policies, const GovernorOptions& options);
  // Parses and validates only, without connecting anywhere (--check-config). Throws
  // std::runtime_error("policies.rules[1].mode (line 7, column 11): ...") on an error.
  static void validate(const YAML::Node& policies);
  virtual ~Governor() = default;

  // Simple-protocol Query: every statement of the text is checked; any refusal refuses
  // the whole message.
  [[nodiscard]] virtual Verdict check_query(std::string_view sql, const SessionContext& session) = 0;

  // Extended-protocol Parse. If the decision needs the $n values, the verdict is Pass
  // and *deferred is set: call check_bind with it at each Bind of that statement.
  [[nodiscard]] virtual Verdict check_parse(std::string_view sql, const SessionContext& session,
                                            std::shared_ptr<const PreparedCheck>* deferred) = 0;
  // The same, with the parameter types the Parse message declared (0 = unspecified), so
  // that binary Bind values of those types (int, float, numeric, date, text) can be read.
  // A binary value of an unspecified type cannot be read: it may then match any
  // partition, which errs towards refusing under max_partitions.
  [[nodiscard]] virtual Verdict check_parse(std::string_view sql, const SessionContext& session,
                                            std::shared_ptr<const PreparedCheck>* deferred,
                                            const std::vector<uint32_t>& param_types) = 0;
  [[nodiscard]] virtual Verdict check_bind(const PreparedCheck& prepared,
                                           const std::vector<std::optional<std::string>>& params,
                                           const std::vector<int16_t>& param_formats,
                                           const SessionContext& session) = 0;

  // Re-read the policy configuration and the catalog. false (with *error) when the
  // policies are invalid: nothing changes. A catalog that fails to load is logged and the
  // previous one kept, the new policies still apply. Both block on libpq (connect_timeout
  // 10 s unless the conninfo says otherwise): call them off the I/O threads, e.g. from a
  // timer thread every catalog.refresh_seconds.
  virtual bool reload(const YAML::Node& policies, std::string* error) = 0;
  virtual bool refresh_catalog(std::string* error) = 0;

  // Counters for the stats log line.
  struct Counters {
    uint64_t checked = 0, parsed = 0, cache_hits = 0, refused = 0, warned = 0, audited = 0;
  };
  [[nodiscard]] virtual Counters counters() const = 0;
};

}  // namespace blueshift::policies

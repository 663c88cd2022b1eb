// The proxy's own settings, `blueshift.*`: SET, RESET and SHOW of them are answered by the
// proxy in both protocols and never reach the upstream (Redshift would reject them).
// One table of settings; later features add theirs here.
//
// Asio-free: the session's Conversation asks for an answer when it inspects the statement
// and applies a SET only once the server confirmed that the carrier message ran.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/error_builder.h"
#include "rewrite/proxy_statement.h"

namespace blueshift::proxy {

// What the client gets for one proxy statement, encoded: RowDescription (SHOW only),
// DataRows and the CommandComplete tag.
struct ProxyAnswer {
  std::string row_description;
  std::string rows;
  std::string tag;
};

class ProxySettings {
 public:
  // One row per policy rule that applies to the session: name, type, mode, tables.
  using RulesSource = std::function<std::vector<std::array<std::string, 4>>()>;
  // One row per budget that charges the session (SHOW blueshift.spend, proxy/budget_gate.h).
  using SpendSource = std::function<std::vector<std::vector<std::string>>()>;
  // Asked for at each SHOW of them, not kept: a session's settings hold only its SETs.
  struct Sources {
    RulesSource rules;
    SpendSource spend;
  };

  // The answer to `statement`, or the error PostgreSQL gives for it (unknown parameter
  // 42704, read-only parameter 55P02). Changes nothing.
  [[nodiscard]] std::variant<ProxyAnswer, protocol::ProxyError> answer(const rewrite::ProxyStatement& statement,
                                                                      const Sources& sources = {}) const;
  // A SET/RESET takes effect (the server ran the carrier; the session is not in a failed
  // block). Non-transactional, like PgBouncer's own settings: it survives a ROLLBACK.
  void apply(const rewrite::ProxyStatement& statement);
  // A writable setting's value (its default until a SET), and whether a boolean one is on.
  [[nodiscard]] std::string value(std::string_view name) const;
  // The same without a copy (asked per message); valid until the next apply().
  [[nodiscard]] std::string_view view(std::string_view name) const;
  [[nodiscard]] bool enabled(std::string_view name) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;  // writable settings set by SET
};

// Redshift and PostgreSQL word this the same: what a client gets for SHOW/SET of a name
// no server knows.
[[nodiscard]] protocol::ProxyError unknown_parameter(const std::string& name);

}  // namespace blueshift::proxy

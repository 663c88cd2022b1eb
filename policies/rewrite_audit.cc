#include "policies/rewrite_audit.h"

#include "nlohmann/json.hpp"
#include "policies/audit_fields.h"

namespace blueshift::policies {

std::string rewrite_audit_line(const RewriteRecord& r, const SessionContext& session,
                               std::chrono::system_clock::time_point now) {
  using nlohmann::json;
  json j;
  SessionFacts facts;
  facts.user = session.user;
  facts.application_name = session.application_name;
  facts.client_address = session.client_address;
  facts.database = session.database;
  put_session_fields(j, facts, now);
  j["event"] = "rewrite";
  j["table"] = r.table;
  j["form"] = r.form;
  j["rows"] = r.rows;
  j["outcome"] = r.outcome;
  if (!r.sqlstate.empty()) j["sqlstate"] = r.sqlstate;
  j["retries"] = r.retries;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace blueshift::policies

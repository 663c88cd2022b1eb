// The fields every audit line starts with, decision or rewrite (audit_log.cc,
// rewrite_audit.cc): time, user, application_name, client_address, database.
#pragma once

#include <chrono>

#include "nlohmann/json_fwd.hpp"
#include "policies/evaluate.h"

namespace blueshift::policies {

void put_session_fields(nlohmann::json& j, const SessionFacts& session, std::chrono::system_clock::time_point now);

}  // namespace blueshift::policies

// The FATAL error that ends a session, shared by the files that define Session's members
// (session.cc, session_control.cc); internal to the session, not for other callers.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "protocol/error_builder.h"

namespace blueshift::proxy {

inline std::unique_ptr<protocol::ProxyError> fatal(std::string sqlstate, std::string message, std::string detail = {}) {
  return std::make_unique<protocol::ProxyError>(
      protocol::ProxyError{"FATAL", std::move(sqlstate), std::move(message), std::move(detail), {}});
}

}  // namespace blueshift::proxy

// The one place where the proxy's own ErrorResponse/NoticeResponse messages are built,
// so every refusal a client sees carries severity, SQLSTATE, message, detail and hint.
#pragma once

#include <string>

#include "protocol/messages.h"

namespace blueshift::protocol {

struct ProxyError {
  std::string severity = "ERROR";  // ERROR, FATAL, WARNING, NOTICE
  std::string sqlstate;
  std::string message;
  std::string detail;  // optional
  std::string hint;    // optional
};

[[nodiscard]] ErrorResponse make_error(const ProxyError& e);
[[nodiscard]] NoticeResponse make_notice(const ProxyError& e);
// Encoded bytes of an ErrorResponse, ready to write to a client.
[[nodiscard]] std::string encode_error(const ProxyError& e);

}  // namespace blueshift::protocol

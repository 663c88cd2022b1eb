// What the operations HTTP endpoint answers (http.listen): /metrics in Prometheus's text
// format, /healthz (the process serves) and /readyz (it should be sent new clients).
// Asio-free, so the answers are tested without sockets; http_server.h carries them.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "proxy/metrics.h"

namespace blueshift::proxy {

struct HttpReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // 405: the methods that are allowed
};

struct HttpSources {
  const metrics::Registry* registry = nullptr;
  // Why the proxy should get no new clients now ("" when ready): draining, no catalog yet.
  std::function<std::string()> not_ready;
};

// The Prometheus text format's media type, version 0.0.4.
inline constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

// method: as received ("GET"); target: the request target ("/metrics?x=1"). HEAD is
// answered as GET (the server leaves the body out).
[[nodiscard]] HttpReply answer_http(std::string_view method, std::string_view target, const HttpSources& sources);

}  // namespace blueshift::proxy

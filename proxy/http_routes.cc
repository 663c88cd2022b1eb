// The operations endpoint's answers; see http_routes.h.
#include "proxy/http_routes.h"

#include "proxy/prometheus_text.h"

namespace blueshift::proxy {

HttpReply answer_http(std::string_view method, std::string_view target, const HttpSources& sources) {
  HttpReply reply;
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != "/metrics" && path != "/healthz" && path != "/readyz") {
    reply.status = 404;
    reply.body = "not found: try /metrics, /healthz or /readyz\n";
    return reply;
  }
  if (method != "GET" && method != "HEAD") {
    reply.status = 405;
    reply.allow = "GET, HEAD";
    reply.body = "method not allowed\n";
    return reply;
  }
  if (path == "/metrics") {
    reply.content_type = std::string(kPrometheusContentType);
    if (sources.registry) reply.body = metrics::prometheus_text(sources.registry->collect());
  } else if (path == "/healthz") {
    reply.body = "ok\n";
  } else if (const std::string why = sources.not_ready ? sources.not_ready() : std::string(); why.empty()) {
    reply.body = "ready\n";
  } else {
    reply.status = 503;
    reply.body = "not ready: " + why + "\n";
  }
  return reply;
}

}  // namespace blueshift::proxy

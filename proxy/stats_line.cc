// The stats log line; see stats_line.h.
#include "proxy/stats_line.h"

#include "proxy/metric_names.h"
#include "proxy/prometheus_text.h"

namespace blueshift::proxy {
namespace {

using namespace metric_names;

struct Field {
  const char* key;  // as the line has always spelled it
  std::string_view metric;
  metrics::Labels labels;
};

const std::vector<Field>& proxy_fields() {
  static const std::vector<Field> fields = {
      {"connections_active", kConnectionsActive, {}},
      {"connections_total", kConnections, {}},
      {"rejected", kConnectionsRejected, {}},
      {"cancels_forwarded", kCancelRequests, {{"result", "forwarded"}}},
      {"cancels_unknown", kCancelRequests, {{"result", "unknown"}}},
      {"upstream_failures", kUpstreamFailures, {}},
  };
  return fields;
}

const std::vector<Field>& policy_fields() {
  static const std::vector<Field> fields = {
      {"checked", kPolicyChecks, {}},
      {"parsed", kPolicyParses, {}},
      {"cache_hits", kPolicyCacheHits, {}},
      {"refused", kPolicyRefusals, {}},
      {"warned", kPolicyWarnings, {}},
      {"audited", kPolicyAuditLines, {}},
  };
  return fields;
}

void append(std::string& line, const std::vector<metrics::Family>& families, const std::vector<Field>& fields) {
  for (const Field& f : fields) {
    const auto value = metrics::find_value(families, f.metric, f.labels);
    line += std::string(" ") + f.key + "=" + metrics::format_value(value.value_or(0));
  }
}

}  // namespace

std::string stats_line(const std::vector<metrics::Family>& families) {
  std::string line = "stats";
  append(line, families, proxy_fields());
  if (metrics::find_value(families, kPolicyChecks)) append(line, families, policy_fields());
  return line;
}

}  // namespace blueshift::proxy

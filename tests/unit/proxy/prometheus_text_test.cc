#include "proxy/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace blueshift::proxy::metrics {
namespace {

TEST(PrometheusText, ExpositionOfASmallRegistry) {
  Registry registry;
  registry.counter("blueshift_cancel_requests_total", "Cancel requests, by result.", {{"result", "forwarded"}}).inc(3);
  registry.counter("blueshift_cancel_requests_total", "Cancel requests, by result.", {{"result", "unknown"}});
  registry.gauge("blueshift_connections_active", "Client connections open now.").set(2);
  Histogram& latency =
      registry.histogram("blueshift_query_seconds", "Query latency.", {0.005, 0.25, 1}, {{"protocol", "simple"}});
  latency.observe(0.001);
  latency.observe(0.25);
  latency.observe(4);
  registry.add_collector([](std::vector<Family>& out) {
    out.push_back(single("blueshift_policy_refusals_total", "Refused.", Type::Counter, 7));
  });
  EXPECT_EQ(prometheus_text(registry.collect()),
            "# HELP blueshift_cancel_requests_total Cancel requests, by result.\n"
            "# TYPE blueshift_cancel_requests_total counter\n"
            "blueshift_cancel_requests_total{result=\"forwarded\"} 3\n"
            "blueshift_cancel_requests_total{result=\"unknown\"} 0\n"
            "# HELP blueshift_connections_active Client connections open now.\n"
            "# TYPE blueshift_connections_active gauge\n"
            "blueshift_connections_active 2\n"
            "# HELP blueshift_query_seconds Query latency.\n"
            "# TYPE blueshift_query_seconds histogram\n"
            "blueshift_query_seconds_bucket{protocol=\"simple\",le=\"0.005\"} 1\n"
            "blueshift_query_seconds_bucket{protocol=\"simple\",le=\"0.25\"} 2\n"
            "blueshift_query_seconds_bucket{protocol=\"simple\",le=\"1\"} 2\n"
            "blueshift_query_seconds_bucket{protocol=\"simple\",le=\"+Inf\"} 3\n"
            "blueshift_query_seconds_sum{protocol=\"simple\"} 4.251\n"
            "blueshift_query_seconds_count{protocol=\"simple\"} 3\n"
            "# HELP blueshift_policy_refusals_total Refused.\n"
            "# TYPE blueshift_policy_refusals_total counter\n"
            "blueshift_policy_refusals_total 7\n");
}

TEST(PrometheusText, UnlabelledHistogramHasOnlyLe) {
  Registry registry;
  registry.histogram("blueshift_h", "H.", {1}).observe(0.5);
  EXPECT_EQ(prometheus_text(registry.collect()),
            "# HELP blueshift_h H.\n"
            "# TYPE blueshift_h histogram\n"
            "blueshift_h_bucket{le=\"1\"} 1\n"
            "blueshift_h_bucket{le=\"+Inf\"} 1\n"
            "blueshift_h_sum 0.5\n"
            "blueshift_h_count 1\n");
}

TEST(PrometheusText, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)" "\nd"), R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_label_value("plain value"), "plain value");
  Registry registry;
  registry.counter("blueshift_rule_total", "Per rule.", {{"rule", "say \"hi\"\\\n"}, {"mode", "warn"}}).inc();
  EXPECT_EQ(prometheus_text(registry.collect()),
            "# HELP blueshift_rule_total Per rule.\n"
            "# TYPE blueshift_rule_total counter\n"
            "blueshift_rule_total{rule=\"say \\\"hi\\\"\\\\\\n\",mode=\"warn\"} 1\n");
}

TEST(PrometheusText, HelpEscapesBackslashAndNewlineButNotQuotes) {
  Registry registry;
  registry.gauge("blueshift_g", "a \"quoted\" c:\\dir\nsecond line");
  EXPECT_EQ(prometheus_text(registry.collect()),
            "# HELP blueshift_g a \"quoted\" c:\\\\dir\\nsecond line\n"
            "# TYPE blueshift_g gauge\n"
            "blueshift_g 0\n");
}

TEST(PrometheusText, Values) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(12345678901234), "12345678901234");
  EXPECT_EQ(format_value(-3), "-3");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(2.5e-7), "2.5e-07");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

}  // namespace
}  // namespace blueshift::proxy::metrics

// The operations endpoint's answers, without sockets: each path, readiness, methods.
#include "proxy/http_routes.h"

#include <gtest/gtest.h>

#include <string>

namespace blueshift::proxy {
namespace {

class HttpRoutes : public ::testing::Test {
 protected:
  HttpRoutes() { registry.counter("blueshift_test_total", "Test.").inc(3); }
  HttpReply get(std::string_view target) { return answer_http("GET", target, sources); }

  metrics::Registry registry;
  std::string why_not_ready;
  HttpSources sources{&registry, [this] { return why_not_ready; }};
};

TEST_F(HttpRoutes, MetricsInPrometheusTextFormat) {
  const HttpReply r = get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, kPrometheusContentType);
  EXPECT_NE(r.body.find("# TYPE blueshift_test_total counter\nblueshift_test_total 3\n"), std::string::npos) << r.body;
  EXPECT_EQ(get("/metrics?name[]=x").body, r.body) << "a query string is not part of the path";
}

TEST_F(HttpRoutes, HealthzAnswersWhateverTheReadiness) {
  why_not_ready = "draining";
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(HttpRoutes, ReadyzSaysWhyNot) {
  EXPECT_EQ(get("/readyz").status, 200);
  why_not_ready = "draining";
  const HttpReply r = get("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: draining\n");
}

TEST_F(HttpRoutes, UnknownPathsAndMethods) {
  EXPECT_EQ(get("/").status, 404);
  EXPECT_EQ(get("/metricsx").status, 404);
  const HttpReply post = answer_http("POST", "/metrics", sources);
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.allow, "GET, HEAD");
  EXPECT_EQ(answer_http("HEAD", "/healthz", sources).status, 200);
}

}  // namespace
}  // namespace blueshift::proxy

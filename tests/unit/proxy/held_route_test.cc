// A routed message that waits (for a budget lease, or for its analysis off the I/O thread)
// is routed once: presented again it keeps its routing, so the routing log and audit lines
// (one set per call of the router) and the policies' check of a Bind are not repeated.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "conversation_driver.h"
#include "demo_governor.h"
#include "policies/budgets.h"
#include "proxy/conversation.h"
#include "tier_router_fixture.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;

// Lake dates only: the routed text reads spectrum_schema.sales, which the budget charges.
constexpr const char* kLakeQuery =
    "select count(*) from public.sales_fact where sale_date >= '2023-02-01' and sale_date < '2023-03-15'";
constexpr const char* kClient = "select count(*) from public.sales_fact where sale_date >= $1 and sale_date < $2";

struct HeldRoute : ::testing::Test {
  std::shared_ptr<policies::Governor> governor = testing::budget_governor(0.02);
  std::unique_ptr<policies::Budgets> budgets = [] {
    policies::Budgets::Options o;
    o.ledger = std::make_shared<policies::MemoryLedger>();
    o.background = false;
    o.settings.instance = "test";
    return std::make_unique<policies::Budgets>(std::move(o));
  }();
  int routed = 0;  // calls of the router: each logs and audits its routing
  Router counting = [this, inner = testing::tier_router()](std::string_view sql, const policies::SessionContext& s,
                                                            std::string_view tier,
                                                            const std::vector<rewrite::ParamValue>* params) {
    ++routed;
    return inner(sql, s, tier, params);
  };
  std::unique_ptr<Driver> d;
  void start(size_t offload_bytes = 0) {
    d = std::make_unique<Driver>(
        Conversation::Options{governor.get(), {}, counting, {}, budgets.get(), offload_bytes});
    d->conversation.identity().user = "analyst";
    d->conversation.identity().database = "dev";
  }
  // What the session does on WAIT: the lease on a worker, then the same message again.
  std::string after_lease(const FrontendMessage& m) {
    EXPECT_TRUE(d->conversation.budget().waiting());
    budgets->acquire(*d->conversation.budget().waiting(), d->conversation.budget().waiting_user());
    d->conversation.budget().acquired();
    return d->send(m);
  }
};

TEST_F(HeldRoute, AQueryWaitingForItsLeaseIsRoutedOnce) {
  start();
  const Query q{kLakeQuery};
  EXPECT_EQ(d->send(q), "WAIT");
  const std::string sent = after_lease(q);
  EXPECT_NE(sent.find("spectrum_schema"), std::string::npos) << sent;
  EXPECT_EQ(routed, 1);
}

TEST_F(HeldRoute, ABindWaitingForItsLeaseIsRoutedAndCheckedOnce) {
  start();
  EXPECT_EQ(d->send(Parse{"s", kClient, {}}).substr(0, 4), "P(s:");
  EXPECT_EQ(routed, 1);  // at Parse, over both tiers
  const uint64_t checked = governor->counters().checked;
  const Bind b{"", "s", {}, {"2023-02-01", "2023-03-15"}, {}};
  EXPECT_EQ(d->send(b), "WAIT");
  const std::string sent = after_lease(b);
  EXPECT_NE(sent.find("P(__blueshift_bound__:"), std::string::npos) << sent;
  EXPECT_NE(sent.find("spectrum_schema"), std::string::npos) << sent;
  EXPECT_EQ(routed, 2);
  // The rebound text's check_parse and its check_bind, once each.
  EXPECT_EQ(governor->counters().checked - checked, 2u);
}

TEST_F(HeldRoute, AQueryAnalysedOffTheThreadIsRoutedOnce) {
  start(/*offload_bytes=*/10);
  const Query q{kLakeQuery};
  EXPECT_EQ(d->send(q), "ANALYSE");
  auto task = d->conversation.take_analysis();
  TextAnalysis result;
  std::thread([&] { result = task(); }).join();
  d->conversation.analysed(std::move(result));
  EXPECT_EQ(d->send(q), "WAIT");  // then its lease
  const std::string sent = after_lease(q);
  EXPECT_NE(sent.find("spectrum_schema"), std::string::npos) << sent;
  EXPECT_EQ(routed, 1);
}

}  // namespace
}  // namespace blueshift::proxy

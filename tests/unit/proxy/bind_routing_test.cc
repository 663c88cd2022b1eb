// Bind-time tier routing (proxy/bind_routing.h) without sockets: a statement whose dates
// are $n is routed at Parse over both tiers, and each Bind makes its portal from the text
// its values route to (local only, lake only), or binds the parsed one when the values
// cannot be read; the proxy's own messages' replies are swallowed, and the policies check
// the rebound text with the values.
#include <gtest/gtest.h>

#include "conversation_driver.h"
#include "demo_governor.h"
#include "proxy/conversation.h"
#include "tier_router_fixture.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;
using testing::tier_router;

constexpr const char* kClient = "select count(*) from public.sales_fact where sale_date >= $1 and sale_date < $2";
const std::string kBoth =
    "select count(*) from (SELECT \"sale_id\", \"sale_date\" FROM \"spectrum_schema\".\"sales\" WHERE \"sale_date\" < "
    "DATE '2024-10-01' AND ((\"year\" <= 2023 AND \"month\" BETWEEN 1 AND 12) OR (\"year\" = 2024 AND \"month\" BETWEEN 1 "
    "AND 9)) UNION ALL SELECT \"sale_id\", \"sale_date\" FROM public.sales_fact WHERE \"sale_date\" >= DATE "
    "'2024-10-01') AS \"sales_fact\" where sale_date >= $1 and sale_date < $2";
const std::string kLake =
    "select count(*) from (SELECT \"sale_id\", \"sale_date\" FROM \"spectrum_schema\".\"sales\" WHERE (\"year\" = 2023 "
    "AND \"month\" BETWEEN 2 AND 3)) AS \"sales_fact\" where sale_date >= $1 and sale_date < $2";
ErrorResponse error(const std::string& sqlstate) {
  return ErrorResponse{{{{'S', "ERROR"}, {'V', "ERROR"}, {'C', sqlstate}, {'M', "boom"}}}};
}

const std::string kAcross =
    "select count(*) from (SELECT \"sale_id\", \"sale_date\" FROM \"spectrum_schema\".\"sales\" WHERE \"sale_date\" < "
    "DATE '2024-10-01' AND (\"year\" = 2024 AND \"month\" BETWEEN 8 AND 9) UNION ALL SELECT \"sale_id\", \"sale_date\" "
    "FROM public.sales_fact WHERE \"sale_date\" >= DATE '2024-10-01') AS \"sales_fact\" where sale_date >= $1 and "
    "sale_date < $2";
// What a rebound Bind sends: the proxy's statement, the client's portal from it, its Close.
std::string rebound(const std::string& portal, const std::string& sql) {
  return "C(S__blueshift_bound__) P(__blueshift_bound__:" + sql + ") B(" + portal +
         ":__blueshift_bound__:2) C(S__blueshift_bound__)";
}

Bind dates(std::optional<std::string> from, std::optional<std::string> to, std::vector<int16_t> formats = {}) {
  return Bind{"", "s", std::move(formats), {std::move(from), std::move(to)}, {}};
}

TEST(BindRouting, EachBindRoutesByItsDates) {
  Driver r{Conversation::Options{nullptr, {}, tier_router()}};
  EXPECT_EQ(r.send(Parse{"s", kClient, {}}), "P(s:" + kBoth + ")");
  EXPECT_EQ(r.send(Sync{}), "S");
  EXPECT_EQ(r.reply({ParseComplete{}, ReadyForQuery{'I'}}), "1 Z(I)");
  // Local dates: the client's text as written; only its BindComplete reaches the client.
  EXPECT_EQ(r.send(dates("2024-11-01", "2024-12-01")), rebound("", kClient));
  EXPECT_EQ(r.send({Execute{"", 0}, Sync{}}), "E() S");
  EXPECT_EQ(r.reply({CloseComplete{}, ParseComplete{}, BindComplete{}, CloseComplete{},
                     DataRow{{"7"}}, CommandComplete{"SELECT 1"}, ReadyForQuery{'I'}}),
            "2 D(7) C(SELECT 1) Z(I)");
  // The same statement again, lake dates: the lake with partition literals.
  EXPECT_EQ(r.send(dates("2023-02-01", "2023-03-15")), rebound("", kLake));
  EXPECT_EQ(r.send({Execute{"", 0}, Sync{}}), "E() S");
  EXPECT_EQ(r.reply({CloseComplete{}, ParseComplete{}, BindComplete{}, CloseComplete{},
                     DataRow{{"3"}}, CommandComplete{"SELECT 1"}, ReadyForQuery{'I'}}),
            "2 D(3) C(SELECT 1) Z(I)");
  // Across the split: both tiers, the lake's part pruned to the months asked for.
  EXPECT_EQ(r.send(dates("2024-08-01", "2024-12-01")), rebound("", kAcross));
  // No date the proxy can read: the parsed statement, as it came.
  EXPECT_EQ(r.send(dates("infinity", "2024-12-01")), "B(:s:2)");
  EXPECT_EQ(r.send(dates("2024-11-01' OR '1'='1", "2024-12-01")), "B(:s:2)");
}

// Binary dates (days since 2000-01-01, big-endian) are read; a NULL bound holds no row,
// so the local table alone answers it as the whole history would (no row).
TEST(BindRouting, BinaryAndNullValues) {
  Driver r{Conversation::Options{nullptr, {}, tier_router()}};
  EXPECT_EQ(r.send(Parse{"s", kClient, {1082, 1082}}), "P(s:" + kBoth + ")");
  auto days = [](int32_t n) {
    return std::string{static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                       static_cast<char>(n)};
  };
  // 2023-02-01 is day 8432, 2023-03-15 day 8474.
  EXPECT_EQ(r.send(dates(days(8432), days(8474), {1})), rebound("", kLake));
  EXPECT_EQ(r.send(dates(std::nullopt, "2024-12-01")), rebound("", kClient));
}

// An error of the proxy's Parse is the client's; the skipped Bind then leaves no portal.
TEST(BindRouting, AFailingReboundParseIsTheClientsError) {
  Driver r{Conversation::Options{nullptr, {}, tier_router()}};
  (void)r.send(Parse{"s", kClient, {}});
  EXPECT_EQ(r.send({dates("2023-02-01", "2023-03-15"), Execute{"", 0}, Sync{}}), rebound("", kLake) + " E() S");
  EXPECT_EQ(r.reply({ParseComplete{}, CloseComplete{}, error("42P01"), ReadyForQuery{'I'}}), "1 E(42P01) Z(I)");
}

// The policies check the rebound text with its values: 2022-01..2023-12 of the lake is 24
// partitions, over the analysts' 12, refused naming the routing; 2023-02..03 runs.
TEST(BindRouting, PoliciesCheckTheReboundText) {
  auto governor = testing::demo_governor();
  Driver r{Conversation::Options{governor.get(), {}, tier_router()}};
  r.conversation.identity().user = "analyst";
  r.conversation.identity().database = "dev";
  (void)r.send(Parse{"s", kClient, {}});
  EXPECT_EQ(r.send(dates("2022-01-01", "2023-12-31")), "B(:__blueshift_refused__:0)");
  (void)r.send(Sync{});
  EXPECT_EQ(r.reply({ParseComplete{}, error("26000"), ReadyForQuery{'I'}}),
            "1 E(42501) Z(I)");
  EXPECT_EQ(r.send(dates("2023-02-01", "2023-03-15")), rebound("", kLake));
}

}  // namespace
}  // namespace blueshift::proxy

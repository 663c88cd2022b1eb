// A governed text over Options::offload_bytes is analysed by a task the session runs off
// the I/O thread; the message presented again is decided by that task's result.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "conversation_driver.h"
#include "demo_governor.h"
#include "proxy/conversation.h"

namespace blueshift::proxy {
namespace {

using namespace protocol;
using testing::Driver;

const char* kRefused = "Q(/* blueshift: statement refused by policy */ blueshift_refused)";

TEST(ConversationAnalysis, ALongGovernedTextIsAnalysedOffTheThread) {
  auto governor = testing::demo_governor();
  Driver d{Conversation::Options{governor.get(), {}, {}, {}, nullptr, 200}};
  d.conversation.identity().user = "analyst";
  d.conversation.identity().database = "dev";
  const std::string padding = " /*" + std::string(200, 'x') + "*/";
  auto analyse_elsewhere = [&] {
    ASSERT_TRUE(d.conversation.analysis_pending());
    auto task = d.conversation.take_analysis();
    TextAnalysis result;
    std::thread([&] { result = task(); }).join();
    d.conversation.analysed(std::move(result));
  };
  const std::string scan = "select count(*) from spectrum_schema.sales" + padding;
  EXPECT_EQ(d.send(Query{scan}), "ANALYSE");
  EXPECT_FALSE(d.conversation.awaiting_reply()) << "nothing went upstream";
  analyse_elsewhere();
  EXPECT_EQ(d.send(Query{scan}), kRefused);
  EXPECT_EQ(d.reply({ErrorResponse{{{{'S', "ERROR"}, {'C', "42601"}, {'M', "x"}}}}, ReadyForQuery{'I'}}), "E(42501) Z(I)");
  EXPECT_FALSE(d.conversation.analysis_pending());

  const std::string filtered = "select count(*) from spectrum_schema.sales where year = 2024 and month = 3" + padding;
  EXPECT_EQ(d.send(Parse{"s", filtered, {}}), "ANALYSE");
  analyse_elsewhere();
  EXPECT_EQ(d.send(Parse{"s", filtered, {}}), "P(s:" + filtered + ")");
  EXPECT_EQ(d.send(Parse{"t", scan, {}}), "ANALYSE");
  analyse_elsewhere();
  EXPECT_EQ(d.send(Parse{"t", scan, {}}), "B(:__blueshift_refused__:0)");
  EXPECT_EQ(d.send(Sync{}), "S");
  (void)d.reply({ParseComplete{}, ErrorResponse{{{{'S', "ERROR"}, {'C', "26000"}, {'M', "x"}}}}, ReadyForQuery{'I'}});
  EXPECT_EQ(d.send(Query{"select count(*) from spectrum_schema.sales"}), kRefused) << "a short text is checked at once";
}

// A long text's SQL PREPARE bodies are scanned and checked by the task too: presented again,
// the text is decided without a check on the session's thread.
TEST(ConversationAnalysis, ALongSqlPrepareIsCheckedWhollyOffTheThread) {
  auto governor = testing::demo_governor();
  Driver d{Conversation::Options{governor.get(), {}, {}, {}, nullptr, 200}};
  d.conversation.identity().user = "analyst";
  d.conversation.identity().database = "dev";
  const std::string padding = " /*" + std::string(200, 'x') + "*/";
  // A lone PREPARE's $n wait for its EXECUTEs; a text of several statements is checked
  // as a Query too, so its PREPARE has its values written in.
  const std::string lone = "prepare p(int, int) as select count(*) from spectrum_schema.sales where year = $1 and "
                           "month = $2" + padding;
  const std::string several = "prepare q as select count(*) from spectrum_schema.sales where year = 2024 and "
                              "month = 1" + padding + "; select 1";
  for (const std::string& text : {lone, several}) {
    EXPECT_EQ(d.send(Query{text}), "ANALYSE") << text.substr(0, 40);
    ASSERT_TRUE(d.conversation.analysis_pending());
    auto task = d.conversation.take_analysis();
    TextAnalysis result;
    std::thread([&] { result = task(); }).join();
    d.conversation.analysed(std::move(result));
    const uint64_t checked = governor->counters().checked;
    EXPECT_EQ(d.send(Query{text}), "Q(" + text + ")");
    EXPECT_EQ(governor->counters().checked, checked) << "checked on the thread: " << text.substr(0, 40);
    (void)d.reply({CommandComplete{"PREPARE"}, ReadyForQuery{'I'}});
  }
}

}  // namespace
}  // namespace blueshift::proxy

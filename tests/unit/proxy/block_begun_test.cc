// Whether the client's BEGIN ran earlier in the batch being sent (proxy/block_begun.h).
#include "proxy/block_begun.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace blueshift::proxy {
namespace {

using namespace protocol;

// Each message given to the tracker as its frame.
bool begun_after(const std::vector<FrontendMessage>& ms) {
  BlockBegun b;
  for (const auto& m : ms) {
    std::string raw;
    encode(m, raw);
    Frame f;
    std::string error;
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(raw.data()), raw.size());
    EXPECT_EQ(decode_frame(bytes, kMaxMessageSize, &f, &error), DecodeStatus::ReadyForNext);
    b.note(f);
  }
  return b.begun();
}

TEST(BlockBegun, KindsByFirstKeyword) {
  struct Row {
    const char* sql;
    BlockBegun::Kind kind;
  };
  for (const Row& r : std::vector<Row>{{"BEGIN", BlockBegun::Kind::Begin},
                                       {"  begin isolation level serializable", BlockBegun::Kind::Begin},
                                       {"/* c */ -- x\n START TRANSACTION", BlockBegun::Kind::Begin},
                                       {"commit", BlockBegun::Kind::End},
                                       {"\t\n\r\f\vCoMmIt", BlockBegun::Kind::End},
                                       {"\xc2\xa0commit", BlockBegun::Kind::Other},  // a no-break space is no blank
                                       {"END", BlockBegun::Kind::End},
                                       {"rollback to savepoint a", BlockBegun::Kind::End},
                                       {"ABORT", BlockBegun::Kind::End},
                                       {"PREPARE TRANSACTION 'x'", BlockBegun::Kind::End},
                                       {"beginning", BlockBegun::Kind::Other},
                                       {"select 'begin'", BlockBegun::Kind::Other},
                                       {"/* begin", BlockBegun::Kind::Other}})
    EXPECT_EQ(BlockBegun::kind_of(r.sql), r.kind) << r.sql;
}

// pgjdbc without autocommit: BEGIN through the unnamed statement and portal, then the batch.
TEST(BlockBegun, ABeginExecutedInTheBatchIsABlockUntilItsSync) {
  const std::vector<FrontendMessage> begin = {Parse{"", "BEGIN", {}}, Bind{"", "", {}, {}, {}}, Execute{"", 0},
                                              Parse{"S_1", "insert into t values ($1)", {}},
                                              Bind{"", "S_1", {}, {std::string("1")}, {}}};
  EXPECT_TRUE(begun_after(begin));
  auto synced = begin;
  synced.push_back(Sync{});
  EXPECT_FALSE(begun_after(synced));
}

TEST(BlockBegun, NotBeforeTheExecuteNorAfterACommit) {
  EXPECT_FALSE(begun_after({Parse{"", "BEGIN", {}}, Bind{"", "", {}, {}, {}}}));
  EXPECT_FALSE(begun_after({Parse{"b", "BEGIN", {}}, Parse{"c", "COMMIT", {}}, Bind{"p", "b", {}, {}, {}},
                            Execute{"p", 0}, Bind{"q", "c", {}, {}, {}}, Execute{"q", 0}}));
  // The portal rebound to another statement is no longer the BEGIN.
  EXPECT_FALSE(begun_after({Parse{"b", "BEGIN", {}}, Parse{"s", "select 1", {}}, Bind{"p", "b", {}, {}, {}},
                            Bind{"p", "s", {}, {}, {}}, Execute{"p", 0}}));
  // The statement name reused for another text.
  EXPECT_FALSE(begun_after({Parse{"b", "BEGIN", {}}, Parse{"b", "select 1", {}}, Bind{"p", "b", {}, {}, {}},
                            Execute{"p", 0}}));
}

}  // namespace
}  // namespace blueshift::proxy

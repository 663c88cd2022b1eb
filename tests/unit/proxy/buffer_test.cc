// proxy/buffer.h: framing room, compaction, growth past the pooled block, and the
// per-thread pool that lets request/response sessions reuse warm memory.
#include "proxy/buffer.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace blueshift::proxy {
namespace {

void put(Buffer& buffer, const std::string& bytes) {
  auto room = buffer.writable(bytes.size());
  ASSERT_GE(room.size(), bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  buffer.commit(bytes.size());
}

std::string contents(const Buffer& buffer) {
  return {reinterpret_cast<const char*>(buffer.head()), buffer.size()};
}

TEST(Buffer, KeepsBytesAcrossConsumeCompactionAndGrowth) {
  Buffer buffer;
  EXPECT_EQ(buffer.capacity(), 0u);
  put(buffer, "hello ");
  put(buffer, "world");
  EXPECT_EQ(contents(buffer), "hello world");
  buffer.consume(6);
  EXPECT_EQ(contents(buffer), "world");
  // Asking for more than is left after the data compacts, then grows past the block.
  const std::string big(3 * Buffer::kBlock, 'x');
  put(buffer, big);
  EXPECT_EQ(contents(buffer), "world" + big);
  EXPECT_GE(buffer.capacity(), 5 + big.size());
  buffer.consume(buffer.size());
  EXPECT_EQ(buffer.size(), 0u);
}

TEST(Buffer, ReleaseOnlyFreesAnEmptyBuffer) {
  Buffer buffer;
  put(buffer, "pending");
  buffer.release();
  EXPECT_EQ(contents(buffer), "pending");  // data is never dropped
  buffer.consume(7);
  buffer.release();
  EXPECT_EQ(buffer.capacity(), 0u);
}

TEST(Buffer, ReleasedBlockIsReusedByTheNextBufferOnTheThread) {
  std::thread([] {  // a fresh thread: an empty pool
    Buffer a;
    put(a, "request");
    const uint8_t* block = a.head();
    EXPECT_EQ(a.capacity(), Buffer::kBlock);
    a.consume(a.size());
    a.release();
    Buffer b;
    put(b, "next");
    EXPECT_EQ(b.head(), block);  // the warm block, not a new allocation
    EXPECT_EQ(contents(b), "next");
  }).join();
}

}  // namespace
}  // namespace blueshift::proxy

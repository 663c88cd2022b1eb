// proxy/block_pool.h: blocks are distinct while held, reused once given back, and objects
// made with allocate_shared through PooledAllocator are built and destroyed as usual.
#include "proxy/block_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace blueshift::proxy {
namespace {

TEST(BlockPool, HeldBlocksAreDistinctAlignedAndReusedWhenGivenBack) {
  BlockPool pool(100);
  std::vector<void*> held;
  for (int i = 0; i < 70; ++i) held.push_back(pool.take());  // more than one chunk
  std::set<void*> distinct(held.begin(), held.end());
  EXPECT_EQ(distinct.size(), held.size());
  for (void* p : held) EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(std::max_align_t), 0u);
  std::set<uintptr_t> starts;
  for (void* p : held) starts.insert(reinterpret_cast<uintptr_t>(p));
  uintptr_t last = 0;
  for (uintptr_t s : starts) {  // no two blocks overlap: at least 112 bytes (100 rounded up) apart
    if (last != 0) EXPECT_GE(s - last, 112u);
    last = s;
  }
  void* back = held.back();
  held.pop_back();
  pool.give(back);
  EXPECT_EQ(pool.take(), back);
}

struct Counted {
  explicit Counted(int* live) : live(live) { ++*live; }
  ~Counted() { --*live; }
  int* live;
  std::string payload = std::string(200, 'x');
};

TEST(PooledAllocator, AllocateSharedBuildsDestroysAndReusesTheBlock) {
  int live = 0;
  auto a = std::allocate_shared<Counted>(PooledAllocator<Counted>(), &live);
  EXPECT_EQ(live, 1);
  EXPECT_EQ(a->payload.size(), 200u);
  const void* where = a.get();
  a.reset();
  EXPECT_EQ(live, 0);
  auto b = std::allocate_shared<Counted>(PooledAllocator<Counted>(), &live);
  EXPECT_EQ(b.get(), where);  // the same block again
}

}  // namespace
}  // namespace blueshift::proxy

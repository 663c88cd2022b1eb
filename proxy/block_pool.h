// Fixed-size blocks for objects that live long and come in thousands (sessions): kept apart
// from the short-lived allocations of each login, so that an idle session costs what it
// holds, not the holes its login's buffers and frames leave between long-lived objects in
// the shared heap. Blocks are reused, never given back; one pool per block size, any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace blueshift::proxy {

class BlockPool {
 public:
  explicit BlockPool(size_t block_size) : size_((block_size + kAlign - 1) / kAlign * kAlign) {}
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  void* take() {
    std::lock_guard lock(mutex_);
    if (free_ == nullptr) grow();
    Free* block = free_;
    free_ = block->next;
    return block;
  }
  void give(void* p) {
    std::lock_guard lock(mutex_);
    free_ = new (p) Free{free_};
  }

 private:
  static constexpr size_t kAlign = alignof(std::max_align_t);
  static constexpr size_t kBlocksPerChunk = 32;  // ~45 KiB for a session: below malloc's mmap threshold
  struct Free {
    Free* next;
  };
  void grow() {
    chunks_.push_back(std::make_unique<std::byte[]>(size_ * kBlocksPerChunk));
    for (size_t i = kBlocksPerChunk; i-- > 0;) free_ = new (chunks_.back().get() + i * size_) Free{free_};
  }
  const size_t size_;
  std::mutex mutex_;
  Free* free_ = nullptr;
  std::vector<std::unique_ptr<std::byte[]>> chunks_;
};

// An allocator for std::allocate_shared: the object and its control block in one block.
template <typename T>
struct PooledAllocator {
  using value_type = T;
  PooledAllocator() = default;
  template <typename U>
  PooledAllocator(const PooledAllocator<U>&) {}  // NOLINT: rebinding, as allocate_shared does
  T* allocate(size_t n) {
    if (n != 1) return std::allocator<T>().allocate(n);
    return static_cast<T*>(pool().take());
  }
  void deallocate(T* p, size_t n) {
    if (n != 1) return std::allocator<T>().deallocate(p, n);
    pool().give(p);
  }
  static BlockPool& pool() {
    static_assert(alignof(T) <= alignof(std::max_align_t));
    // One pool for each type allocated; never destroyed, as sessions may outlive statics.
    static BlockPool* instance = new BlockPool(sizeof(T));
    return *instance;
  }
  template <typename U>
  bool operator==(const PooledAllocator<U>&) const { return true; }
};

}  // namespace blueshift::proxy

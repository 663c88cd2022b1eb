// A growable byte buffer for one direction of a session: read into the tail, consume
// from the head, compact when the head is far in. Messages are framed in place.
//
// An idle session gives its empty buffers back (release()), so that it holds no read
// memory at all; a busy request/response session therefore takes and gives back a buffer
// at every message. Blocks of the standard size go to a small per-thread pool instead of
// the allocator, and come back out of it last-in first-out: the next read on this thread
// lands in memory that is still in cache, with no malloc, free or zero-filling (PgBouncer
// keeps its packet buffers the same way).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <span>
#include <vector>

namespace blueshift::proxy {

class Buffer {
 public:
  // The pooled block size: every read of a request/response session fits in one.
  static constexpr size_t kBlock = 4096;

  Buffer() = default;
  ~Buffer() { drop(); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  [[nodiscard]] std::span<const uint8_t> readable() const { return {data_ + begin_, end_ - begin_}; }
  [[nodiscard]] size_t size() const { return end_ - begin_; }
  [[nodiscard]] const uint8_t* head() const { return data_ + begin_; }

  // Room for at least min_free more bytes after the data, compacting or growing. The room
  // is not zeroed.
  std::span<uint8_t> writable(size_t min_free) {
    if (capacity_ - end_ < min_free) make_room(min_free);
    return {data_ + end_, capacity_ - end_};
  }
  void commit(size_t n) { end_ += n; }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  [[nodiscard]] size_t capacity() const { return capacity_; }
  // Gives back the memory of an empty buffer.
  void release() {
    if (begin_ == end_) drop();
  }

 private:
  // Per thread, bounded: a burst of sessions going idle at once frees the rest.
  static constexpr size_t kPoolMax = 64;
  struct Pool {
    std::vector<uint8_t*> blocks;
    ~Pool() {
      for (uint8_t* block : blocks) std::free(block);
    }
  };
  static std::vector<uint8_t*>& pool() {
    thread_local Pool pool;
    return pool.blocks;
  }

  void make_room(size_t min_free) {
    if (begin_ > 0) {
      std::memmove(data_, data_ + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      if (capacity_ - end_ >= min_free) return;
    }
    const size_t want = end_ + min_free;
    uint8_t* fresh = nullptr;
    size_t size = want;
    if (want <= kBlock) {
      size = kBlock;
      auto& blocks = pool();
      if (!blocks.empty()) {
        fresh = blocks.back();
        blocks.pop_back();
      }
    } else {
      size = std::max(want, 2 * capacity_);
    }
    if (!fresh) {
      fresh = static_cast<uint8_t*>(std::malloc(size));
      if (!fresh) throw std::bad_alloc();
    }
    if (end_ > 0) std::memcpy(fresh, data_, end_);
    drop_storage();
    data_ = fresh;
    capacity_ = size;
  }

  void drop() {
    drop_storage();
    begin_ = end_ = 0;
  }
  void drop_storage() {
    if (!data_) return;
    auto& blocks = pool();
    if (capacity_ == kBlock && blocks.size() < kPoolMax) {
      blocks.push_back(data_);
    } else {
      std::free(data_);
    }
    data_ = nullptr;
    capacity_ = 0;
  }

  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace blueshift::proxy

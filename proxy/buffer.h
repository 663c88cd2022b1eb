// A growable byte buffer for one direction of a session: read into the tail, consume
// from the head, compact when the head is far in. Messages are framed in place.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace blueshift::proxy {

class Buffer {
 public:
  explicit Buffer(size_t initial = 0) : data_(initial) {}

  [[nodiscard]] std::span<const uint8_t> readable() const { return {data_.data() + begin_, end_ - begin_}; }
  [[nodiscard]] size_t size() const { return end_ - begin_; }
  [[nodiscard]] const uint8_t* head() const { return data_.data() + begin_; }

  // Room for at least min_free more bytes after the data, compacting or growing.
  std::span<uint8_t> writable(size_t min_free) {
    if (data_.size() - end_ < min_free) {
      if (begin_ > 0) {
        std::memmove(data_.data(), data_.data() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
      }
      if (data_.size() - end_ < min_free) data_.resize(end_ + min_free);
    }
    return {data_.data() + end_, data_.size() - end_};
  }
  void commit(size_t n) { end_ += n; }
  void consume(size_t n) {
    begin_ += n;
    if (begin_ == end_) begin_ = end_ = 0;
  }
  [[nodiscard]] size_t capacity() const { return data_.size(); }
  // Frees the memory of an empty buffer: an idle session holds no buffers at all.
  void release() {
    if (begin_ == end_) {
      std::vector<uint8_t>().swap(data_);
      begin_ = end_ = 0;
    }
  }

 private:
  std::vector<uint8_t> data_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace blueshift::proxy

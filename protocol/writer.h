// Appends wire messages to a std::string. begin() writes the header with a placeholder
// length and end() back-patches it from the bytes actually written (PgBouncer's
// pktbuf_start_packet/pktbuf_finish_packet), so no encoder ever computes a size by hand.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace blueshift::protocol {

class MessageWriter {
 public:
  explicit MessageWriter(std::string& out) : out_(out) {}

  // A typed message: Byte1 code, Int32 length (patched by end()).
  void begin(char code) {
    assert(start_ == kNone && "begin() twice without end()");
    out_.push_back(code);
    start_ = out_.size();
    i32(0);
  }
  // A startup-phase packet: Int32 length only.
  void begin_untyped() {
    assert(start_ == kNone && "begin() twice without end()");
    start_ = out_.size();
    i32(0);
  }
  // Patches the length: everything from the length field to the end of out.
  void end() {
    assert(start_ != kNone && "end() without begin()");
    const auto len = static_cast<uint32_t>(out_.size() - start_);
    out_[start_] = static_cast<char>(len >> 24);
    out_[start_ + 1] = static_cast<char>(len >> 16);
    out_[start_ + 2] = static_cast<char>(len >> 8);
    out_[start_ + 3] = static_cast<char>(len);
    start_ = kNone;
  }

  void byte(char v) { out_.push_back(v); }
  void i8(int8_t v) { out_.push_back(static_cast<char>(v)); }
  void i16(int16_t v) {
    const auto u = static_cast<uint16_t>(v);
    const char b[2] = {static_cast<char>(u >> 8), static_cast<char>(u)};
    out_.append(b, 2);
  }
  // Counts are unsigned 16-bit on the wire, as PostgreSQL reads them.
  void count16(size_t n) {
    assert(n <= 0xffff && "more than 65535 items cannot be encoded");
    i16(static_cast<int16_t>(static_cast<uint16_t>(n)));
  }
  void i32(int32_t v) {
    const auto u = static_cast<uint32_t>(v);
    const char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16),
                       static_cast<char>(u >> 8), static_cast<char>(u)};
    out_.append(b, 4);
  }
  // NUL-terminated. A NUL inside s would end the string early for the reader; the
  // decoder never produces one, and proxy-built text must not contain one.
  void cstring(std::string_view s) {
    out_.append(s);
    out_.push_back('\0');
  }
  void bytes(std::string_view s) { out_.append(s); }
  // Int32 length then bytes; nullopt is written as length -1 (SQL NULL).
  void nullable_bytes(const std::optional<std::string>& v) {
    if (!v) {
      i32(-1);
      return;
    }
    i32(static_cast<int32_t>(v->size()));
    out_.append(*v);
  }

 private:
  static constexpr size_t kNone = static_cast<size_t>(-1);
  std::string& out_;
  size_t start_ = kNone;
};

}  // namespace blueshift::protocol

// Test helper: writes wire bytes field by field, independently of protocol/writer.h, so
// byte-level tests check the codec against the protocol documentation rather than
// against itself.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace blueshift::protocol::testing {

class Bytes {
 public:
  Bytes& u8(int v) {
    s_.push_back(static_cast<char>(v & 0xff));
    return *this;
  }
  Bytes& i16(int v) {
    u8(v >> 8);
    return u8(v);
  }
  Bytes& i32(int64_t v) {
    const auto u = static_cast<uint32_t>(v);
    u8(static_cast<int>(u >> 24));
    u8(static_cast<int>(u >> 16));
    u8(static_cast<int>(u >> 8));
    return u8(static_cast<int>(u));
  }
  Bytes& str(std::string_view v) {  // NUL-terminated
    s_.append(v);
    s_.push_back('\0');
    return *this;
  }
  Bytes& raw(std::string_view v) {
    s_.append(v);
    return *this;
  }
  Bytes& sized(std::string_view v) {  // Int32 length + bytes
    i32(static_cast<int64_t>(v.size()));
    return raw(v);
  }

  const std::string& body() const { return s_; }
  // Typed message: code, Int32 length (4 + body), body.
  std::string frame(char code) const { return std::string(1, code) + length_prefixed(); }
  // Startup packet: Int32 length (4 + body), body.
  std::string startup() const { return length_prefixed(); }

 private:
  std::string length_prefixed() const {
    Bytes out;
    out.i32(static_cast<int64_t>(s_.size()) + 4).raw(s_);
    return out.s_;
  }
  std::string s_;
};

inline std::span<const uint8_t> span_of(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace blueshift::protocol::testing

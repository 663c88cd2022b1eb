// Bounds-checked reader over one message body (or startup packet body).
//
// Every getter is [[nodiscard]] and returns false instead of reading past the end; the
// first failure is kept as an InvalidArgument status naming the message and the byte
// offset, so decoders write `if (!c.i32(x) || !c.cstring(s)) return c.status();` and
// peer bytes can never cause a throw, an abort or an out-of-bounds read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/cord.h"

namespace blueshift::protocol {

// PostgreSQL's own words for a malformed message body (the errors of its pq_getmsg*
// readers, all 08P01), carried as a payload of the decoding status so that the proxy can
// answer a client as the server would.
inline constexpr const char* kPostgresReasonPayload = "blueshift/postgres-reason";
inline constexpr std::string_view kInsufficientData = "insufficient data left in message";
inline constexpr std::string_view kInvalidString = "invalid string in message";
inline constexpr std::string_view kInvalidFormat = "invalid message format";

// The words PostgreSQL would give for a decoding failure (kInvalidFormat when none recorded).
[[nodiscard]] inline std::string postgres_reason(const absl::Status& status) {
  const auto reason = status.GetPayload(kPostgresReasonPayload);
  return reason ? std::string(*reason) : std::string(kInvalidFormat);
}

inline std::span<const uint8_t> byte_span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class Cursor {
 public:
  // what names the input in error texts: "Bind message" -> "invalid Bind message: ...".
  Cursor(std::span<const uint8_t> data, std::string_view what)
      : begin_(data.data()), p_(data.data()), end_(data.data() + data.size()), what_(what) {}

  [[nodiscard]] size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  [[nodiscard]] size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  [[nodiscard]] bool at_end() const { return p_ == end_; }
  // OK until a getter fails; then the reason of the first failure.
  [[nodiscard]] const absl::Status& status() const { return status_; }

  [[nodiscard]] bool byte(char& v) {
    if (!need(1, "Byte1")) return false;
    v = static_cast<char>(*p_++);
    return true;
  }
  [[nodiscard]] bool i8(int8_t& v) {
    if (!need(1, "Int8")) return false;
    v = static_cast<int8_t>(*p_++);
    return true;
  }
  [[nodiscard]] bool i16(int16_t& v) {
    if (!need(2, "Int16")) return false;
    v = static_cast<int16_t>((p_[0] << 8) | p_[1]);
    p_ += 2;
    return true;
  }
  [[nodiscard]] bool i32(int32_t& v) {
    if (!need(4, "Int32")) return false;
    v = static_cast<int32_t>((uint32_t{p_[0]} << 24) | (uint32_t{p_[1]} << 16) |
                             (uint32_t{p_[2]} << 8) | uint32_t{p_[3]});
    p_ += 4;
    return true;
  }
  // NUL-terminated string; the view points into the buffer.
  [[nodiscard]] bool cstring(std::string_view& v) {
    const void* nul = at_end() ? nullptr : std::memchr(p_, 0, remaining());
    if (nul == nullptr) {
      return fail("string at byte " + std::to_string(offset()) + " has no NUL terminator", kInvalidString);
    }
    const auto* q = static_cast<const uint8_t*>(nul);
    v = std::string_view(reinterpret_cast<const char*>(p_), static_cast<size_t>(q - p_));
    p_ = q + 1;
    return true;
  }
  [[nodiscard]] bool cstring(std::string& v) {
    std::string_view s;
    if (!cstring(s)) return false;
    v.assign(s);
    return true;
  }
  [[nodiscard]] bool bytes(size_t n, std::string_view& v) {
    if (!need(n, "bytes")) return false;
    v = std::string_view(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }
  // Everything left, e.g. a CopyData payload.
  [[nodiscard]] std::string_view rest() {
    std::string_view v(reinterpret_cast<const char*>(p_), remaining());
    p_ = end_;
    return v;
  }
  // An Int16 item count, read unsigned as PostgreSQL does (pq_getmsgint(msg, 2)), and
  // checked against the bytes left, min_item_size each, before anyone reserves memory.
  [[nodiscard]] bool count16(size_t& n, size_t min_item_size, std::string_view items) {
    const size_t at = offset();
    int16_t raw = 0;
    if (!i16(raw)) return false;
    n = static_cast<uint16_t>(raw);
    if (n * min_item_size > remaining()) {
      return fail("count of " + std::string(items) + " at byte " + std::to_string(at) + " is " +
                      std::to_string(n) + ", but only " + n_bytes(remaining()) + " follow",
                  kInsufficientData);
    }
    return true;
  }
  // Int32 length then that many bytes; -1 is SQL NULL (Bind, DataRow, FunctionCall).
  [[nodiscard]] bool nullable_bytes(std::optional<std::string>& v) {
    const size_t at = offset();
    int32_t len = 0;
    if (!i32(len)) return false;
    if (len == -1) {
      v.reset();
      return true;
    }
    if (len < 0)
      return fail("value length at byte " + std::to_string(at) + " is " + std::to_string(len), kInsufficientData);
    if (static_cast<size_t>(len) > remaining()) {
      return fail("value at byte " + std::to_string(at) + " claims " + n_bytes(static_cast<size_t>(len)) +
                      ", but only " + std::to_string(remaining()) + " follow",
                  kInsufficientData);
    }
    v.emplace(reinterpret_cast<const char*>(p_), static_cast<size_t>(len));
    p_ += len;
    return true;
  }
  // The body must be fully consumed, as PostgreSQL's pq_getmsgend() insists.
  [[nodiscard]] bool finish() {
    if (at_end()) return true;
    return fail(n_bytes(remaining()) + " left over after byte " + std::to_string(offset()));
  }
  // Records reason, and PostgreSQL's words for it (the first failure wins), and returns false.
  [[nodiscard]] bool fail(std::string_view reason, std::string_view postgres = kInvalidFormat) {
    if (status_.ok()) {
      status_ = absl::InvalidArgumentError(std::string("invalid ") + std::string(what_) + ": " +
                                           std::string(reason));
      status_.SetPayload(kPostgresReasonPayload, absl::Cord(absl::string_view(postgres.data(), postgres.size())));
    }
    p_ = end_;  // later reads fail too, so a caller that ignores one failure still stops
    return false;
  }

 private:
  static std::string n_bytes(size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }
  [[nodiscard]] bool need(size_t n, const char* type) {
    if (n <= remaining()) return true;
    return fail("truncated at byte " + std::to_string(offset()) + ": " + type + " needs " + n_bytes(n) + ", " +
                    std::to_string(remaining()) + " left",
                kInsufficientData);
  }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  std::string_view what_;
  absl::Status status_;
};

}  // namespace blueshift::protocol

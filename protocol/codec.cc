// Framing of typed messages: the one piece of the codec on the proxy's hot path. It only
// reads the 5-byte header, so a message the proxy does not inspect can be relayed (even
// streamed, body still arriving) without being decoded.
#include "protocol/codec.h"

#include <cstdio>
#include <string>

namespace blueshift::protocol {

// "'Q'" for printable codes, "0x00" otherwise, so an error names a binary code readably.
std::string describe_code(char code) {
  const auto u = static_cast<unsigned char>(code);
  char buf[8];
  if (u >= 0x20 && u < 0x7f) {
    std::snprintf(buf, sizeof buf, "'%c'", code);
  } else {
    std::snprintf(buf, sizeof buf, "0x%02x", u);
  }
  return buf;
}

DecodeStatus decode_frame(std::span<const uint8_t> buf, size_t max_size, Frame* out, std::string* error) {
  out->body = {};
  out->size = 0;
  out->code = buf.empty() ? '\0' : static_cast<char>(buf[0]);
  if (buf.size() < kHeaderSize) return DecodeStatus::NeedMoreData;

  const auto length = static_cast<int32_t>((uint32_t{buf[1]} << 24) | (uint32_t{buf[2]} << 16) |
                                           (uint32_t{buf[3]} << 8) | uint32_t{buf[4]});
  if (length < 4) {
    if (error) *error = "message of type " + describe_code(out->code) + " has invalid length " + std::to_string(length);
    return DecodeStatus::Error;
  }
  const size_t size = 1 + static_cast<size_t>(length);
  if (size > max_size) {
    if (error) {
      *error = "message of type " + describe_code(out->code) + " is " + std::to_string(size) + " bytes, over the " +
               std::to_string(max_size) + "-byte limit";
    }
    return DecodeStatus::Error;
  }
  out->size = size;
  if (buf.size() < size) return DecodeStatus::NeedMoreData;
  out->body = buf.subspan(kHeaderSize, size - kHeaderSize);
  return DecodeStatus::ReadyForNext;
}

}  // namespace blueshift::protocol

// Startup-phase packets (no type byte): StartupMessage, SSLRequest, GSSENCRequest and
// CancelRequest, told apart by the Int32 that follows the length, as PostgreSQL's
// ProcessStartupPacket does.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "protocol/codec.h"
#include "protocol/cursor.h"
#include "protocol/writer.h"

namespace blueshift::protocol {

// Smallest packet: Int32 length + Int32 code (SSLRequest, GSSENCRequest).
inline constexpr size_t kMinStartupPacketSize = 8;

DecodeStatus decode_startup_frame(std::span<const uint8_t> buf, std::span<const uint8_t>* body, size_t* size,
                                  std::string* error) {
  *body = {};
  *size = 0;
  if (buf.size() < 4) return DecodeStatus::NeedMoreData;
  const auto length = static_cast<int32_t>((uint32_t{buf[0]} << 24) | (uint32_t{buf[1]} << 16) |
                                           (uint32_t{buf[2]} << 8) | uint32_t{buf[3]});
  if (length < static_cast<int32_t>(kMinStartupPacketSize) ||
      static_cast<size_t>(length) > kMaxStartupPacketSize) {
    if (error) {
      *error = "invalid length of startup packet: " + std::to_string(length) + " (must be " +
               std::to_string(kMinStartupPacketSize) + " to " + std::to_string(kMaxStartupPacketSize) + ")";
    }
    return DecodeStatus::Error;
  }
  *size = static_cast<size_t>(length);
  if (buf.size() < *size) return DecodeStatus::NeedMoreData;
  *body = buf.subspan(4, *size - 4);
  return DecodeStatus::ReadyForNext;
}

absl::StatusOr<StartupPacket> decode_startup(std::span<const uint8_t> body) {
  Cursor c(body, "startup packet");
  int32_t code = 0;
  if (!c.i32(code)) return c.status();
  switch (code) {
    case kSslRequestCode:
      if (!c.finish()) return c.status();
      return SslRequest{};
    case kGssEncRequestCode:
      if (!c.finish()) return c.status();
      return GssEncRequest{};
    case kCancelRequestCode: {
      CancelRequest cancel;
      if (!c.i32(cancel.process_id) || !c.i32(cancel.secret_key) || !c.finish()) return c.status();
      return cancel;
    }
    default:
      break;
  }
  // Any 3.x: a newer minor is answered with NegotiateProtocolVersion, not refused.
  const auto major = static_cast<uint32_t>(code) >> 16;
  const auto minor = static_cast<uint32_t>(code) & 0xffff;
  if (major != 3) {
    return absl::InvalidArgumentError("unsupported frontend protocol " + std::to_string(major) + "." +
                                      std::to_string(minor) + ": the proxy supports 3.0");
  }
  StartupMessage startup;
  startup.protocol_version = code;
  for (;;) {
    std::string name;
    if (!c.cstring(name)) return c.status();
    if (name.empty()) break;
    std::string value;
    if (!c.cstring(value)) return c.status();
    startup.parameters.emplace_back(std::move(name), std::move(value));
  }
  if (!c.finish()) return c.status();
  return startup;
}

void encode(const StartupPacket& packet, std::string& out) {
  MessageWriter w(out);
  w.begin_untyped();
  std::visit(
      [&](const auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, StartupMessage>) {
          w.i32(p.protocol_version);
          for (const auto& [name, value] : p.parameters) {
            w.cstring(name);
            w.cstring(value);
          }
          w.byte('\0');
        } else if constexpr (std::is_same_v<T, SslRequest>) {
          w.i32(kSslRequestCode);
        } else if constexpr (std::is_same_v<T, GssEncRequest>) {
          w.i32(kGssEncRequestCode);
        } else {
          static_assert(std::is_same_v<T, CancelRequest>);
          w.i32(kCancelRequestCode);
          w.i32(p.process_id);
          w.i32(p.secret_key);
        }
      },
      packet);
  w.end();
}

}  // namespace blueshift::protocol

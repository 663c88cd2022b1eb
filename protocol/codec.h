// Pure codec: bytes in, typed messages out, and back. No sockets, no Asio, no config.
//
// Framing follows Envoy's postgres decoder: a decoder looks at a buffer and says
// ReadyForNext (a whole message is there), NeedMoreData, or Error (bad peer bytes,
// with a reason fit for a FATAL ErrorResponse). Nothing here throws or aborts on
// peer bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "protocol/messages.h"

namespace blueshift::protocol {

// Named limits. The proxy's configured maximum message size may lower kMaxMessageSize.
inline constexpr size_t kMaxStartupPacketSize = 10000;          // as PostgreSQL's MAX_STARTUP_PACKET_LENGTH
inline constexpr size_t kMaxMessageSize = 1u << 30;             // PostgreSQL's own ceiling (1 GiB)
inline constexpr size_t kDefaultMaxMessageSize = 64u << 20;     // default for client messages the proxy buffers
inline constexpr size_t kHeaderSize = 5;                        // type byte + Int32 length

enum class DecodeStatus { ReadyForNext, NeedMoreData, Error };

// A typed message's frame inside a buffer: code, body (after the length), whole size.
struct Frame {
  char code = 0;
  std::span<const uint8_t> body;
  size_t size = 0;  // 1 + length
};

// Reads one frame header (and, if complete, the body) from the start of buf.
// With only a header present it fills code and size, leaves body empty and returns
// NeedMoreData, so a caller may stream the body of a message it does not inspect.
// Error when length < 4 or 1 + length > max_size; *error then says why.
[[nodiscard]] DecodeStatus decode_frame(std::span<const uint8_t> buf, size_t max_size, Frame* out,
                                        std::string* error);

// Startup-phase packet (no type byte). body is what follows the Int32 length.
[[nodiscard]] DecodeStatus decode_startup_frame(std::span<const uint8_t> buf, std::span<const uint8_t>* body,
                                                size_t* size, std::string* error);
[[nodiscard]] absl::StatusOr<StartupPacket> decode_startup(std::span<const uint8_t> body);

// Typed decoding of one frame's body.
struct BackendOptions {
  // True once the server reported server_protocol_version >= 1 (Redshift): RowDescription
  // fields then carry RedshiftFieldMetadata after the standard 18 bytes.
  bool redshift_row_metadata = false;
};
[[nodiscard]] absl::StatusOr<FrontendMessage> decode_frontend(char code, std::span<const uint8_t> body);
[[nodiscard]] absl::StatusOr<BackendMessage> decode_backend(char code, std::span<const uint8_t> body,
                                                            const BackendOptions& options = {});

// Encoding appends whole messages (header included) to out.
void encode(const StartupPacket& packet, std::string& out);
void encode(const FrontendMessage& message, std::string& out);
void encode(const BackendMessage& message, std::string& out, const BackendOptions& options = {});
[[nodiscard]] char code_of(const FrontendMessage& message);
[[nodiscard]] char code_of(const BackendMessage& message);

// A message code for error texts and logs: "'Q'" when printable, "0x00" otherwise.
[[nodiscard]] std::string describe_code(char code);

}  // namespace blueshift::protocol

// Fuzz target: the first bytes a client sends. Walks startup packets with
// decode_startup_frame (an SSLRequest may be followed by a StartupMessage in one read),
// decodes each, and checks that every successful decode re-encodes to the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_check.h"
#include "protocol/codec.h"

using namespace blueshift::protocol;
using namespace blueshift::protocol::fuzz;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> rest(data, size);
  for (;;) {
    std::span<const uint8_t> body;
    size_t packet_size = 0;
    std::string error;
    const DecodeStatus status = decode_startup_frame(rest, &body, &packet_size, &error);
    if (status == DecodeStatus::Error) {
      check(!error.empty(), "startup framing error without a reason");
      break;
    }
    if (status == DecodeStatus::NeedMoreData) {
      check(body.empty() && (packet_size == 0 || packet_size > rest.size()), "NeedMoreData with a complete packet");
      break;
    }
    check(packet_size >= 8 && packet_size <= kMaxStartupPacketSize && packet_size <= rest.size() &&
              body.size() == packet_size - 4,
          "startup packet size out of bounds");
    auto packet = decode_startup(body);
    if (packet.ok()) {
      std::string again;
      encode(*packet, again);
      check(again == as_view(rest.first(packet_size)), "re-encoded startup packet differs from the input");
      std::span<const uint8_t> body2;
      size_t size2 = 0;
      check(decode_startup_frame(as_span(again), &body2, &size2, &error) == DecodeStatus::ReadyForNext,
            "re-encoded startup packet does not frame");
      auto redecoded = decode_startup(body2);
      check(redecoded.ok() && *redecoded == *packet, "re-decoded startup packet differs");
      if (auto* startup = std::get_if<StartupMessage>(&*packet)) {
        // find/erase agree with each other on the first few names the input carried.
        const size_t n = std::min<size_t>(startup->parameters.size(), 4);
        for (size_t i = 0; i < n; ++i) {
          const std::string name = startup->parameters[i].first;
          check(startup->find(name) != nullptr, "find misses a present parameter");
          StartupMessage copy = *startup;
          copy.erase(name);
          check(copy.find(name) == nullptr, "erase left the parameter");
        }
      }
    } else {
      check(packet.status().code() == absl::StatusCode::kInvalidArgument, "decode error is not InvalidArgument");
    }
    rest = rest.subspan(packet_size);
  }
  return 0;
}

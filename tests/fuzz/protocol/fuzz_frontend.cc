// Fuzz target: a client byte stream. Walks frames with decode_frame, decodes each with
// decode_frontend, and checks that every successful decode re-encodes to the very bytes
// received and decodes again to an equal message (the codec is strict, so this holds).
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_check.h"
#include "protocol/auth.h"
#include "protocol/codec.h"

using namespace blueshift::protocol;
using namespace blueshift::protocol::fuzz;

namespace {

void check_one(const Frame& f, std::string_view frame) {
  auto message = decode_frontend(f.code, f.body);
  if (!message.ok()) {
    check(message.status().code() == absl::StatusCode::kInvalidArgument, "decode error is not InvalidArgument");
    return;
  }
  check(code_of(*message) == f.code, "code_of differs from the frame code");
  std::string again;
  encode(*message, again);
  check(again == frame, "re-encoded frontend message differs from the input");
  auto redecoded = decode_frontend(again[0], as_span(again).subspan(kHeaderSize));
  check(redecoded.ok() && *redecoded == *message, "re-decoded frontend message differs");

  if (const auto* auth = std::get_if<AuthResponse>(&*message)) {
    check_exact(auth->payload, parse_sasl_initial_response, encode_sasl_initial_response,
                "SASLInitialResponse round trip");
  }
  if (const auto* copy = std::get_if<CopyDataF>(&*message)) {
    check_exact(copy->data, parse_redshift_digest_response, encode_redshift_digest_response,
                "Redshift digest response round trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for_each_frame(std::span<const uint8_t>(data, size), check_one);
  return 0;
}

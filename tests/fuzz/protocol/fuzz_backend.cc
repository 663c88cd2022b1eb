// Fuzz target: a server byte stream. Walks frames with decode_frame and decodes each one in
// both RowDescription layouts (standard and Redshift's extended metadata); every
// successful decode must re-encode with the same options to the very bytes received and
// decode again to an equal message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "fuzz_check.h"
#include "protocol/auth.h"
#include "protocol/codec.h"

using namespace blueshift::protocol;
using blueshift::protocol::fuzz::as_span;
using blueshift::protocol::fuzz::as_view;
using blueshift::protocol::fuzz::check;
using blueshift::protocol::fuzz::check_exact;

namespace {

void check_one(const Frame& f, std::string_view frame, const BackendOptions& options) {
  auto message = decode_backend(f.code, f.body, options);
  if (!message.ok()) {
    check(message.status().code() == absl::StatusCode::kInvalidArgument, "decode error is not InvalidArgument");
    return;
  }
  check(code_of(*message) == f.code, "code_of differs from the frame code");
  std::string again;
  encode(*message, again, options);
  check(again == frame, "re-encoded backend message differs from the input");
  auto redecoded = decode_backend(again[0], as_span(again).subspan(kHeaderSize), options);
  check(redecoded.ok() && *redecoded == *message, "re-decoded backend message differs");

  if (const auto* auth = std::get_if<Authentication>(&*message)) {
    if (auth->type == static_cast<int32_t>(AuthType::Sasl)) {
      check_exact(auth->payload, parse_sasl_mechanisms, encode_sasl_mechanisms, "SASL mechanism list round trip");
    } else if (auth->type == static_cast<int32_t>(AuthType::RedshiftDigest)) {
      check_exact(auth->payload, parse_redshift_digest_request, encode_redshift_digest_request,
                  "Redshift digest request round trip");
    }
  }
  if (const auto* rd = std::get_if<RowDescription>(&*message)) {
    for (const auto& field : rd->fields) {
      check(field.redshift.has_value() == options.redshift_row_metadata, "metadata presence differs from layout");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> rest(data, size);
  for (;;) {
    Frame f;
    std::string error;
    const DecodeStatus status = decode_frame(rest, kDefaultMaxMessageSize, &f, &error);
    if (status == DecodeStatus::Error) {
      check(!error.empty(), "framing error without a reason");
      break;
    }
    if (status == DecodeStatus::NeedMoreData) {
      check(f.body.empty() && (f.size == 0 || f.size > rest.size()), "NeedMoreData with a complete frame");
      break;
    }
    check(f.size >= kHeaderSize && f.size <= rest.size() && f.body.size() == f.size - kHeaderSize,
          "frame size out of bounds");
    const std::string_view frame = as_view(rest.first(f.size));
    check_one(f, frame, BackendOptions{.redshift_row_metadata = false});
    check_one(f, frame, BackendOptions{.redshift_row_metadata = true});
    rest = rest.subspan(f.size);
  }
  return 0;
}

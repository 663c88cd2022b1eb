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
using namespace blueshift::protocol::fuzz;

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
  for_each_frame(std::span<const uint8_t>(data, size), [](const Frame& f, std::string_view frame) {
    check_one(f, frame, BackendOptions{.redshift_row_metadata = false});
    check_one(f, frame, BackendOptions{.redshift_row_metadata = true});
  });
  return 0;
}

// Helpers for the authentication exchange the proxy relays: reading and rewriting the
// SASL mechanism list (to drop SCRAM-SHA-256-PLUS, which cannot survive TLS termination),
// reading the client's SASLInitialResponse, and Redshift's AUTH_REQ_DIGEST messages (see
// the layout notes next to AuthType in messages.h). Payloads are message bodies without
// the Int32 auth type (Authentication::payload, AuthResponse::payload, CopyDataF::data).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace blueshift::protocol {

// AuthenticationSASL payload: a list of NUL-terminated names ended by an empty one.
[[nodiscard]] absl::StatusOr<std::vector<std::string>> parse_sasl_mechanisms(std::string_view payload);
[[nodiscard]] std::string encode_sasl_mechanisms(const std::vector<std::string>& mechanisms);

// SASLInitialResponse ('p' answering AuthenticationSASL): String mechanism, Int32 length
// of the initial response (-1: none), its bytes.
struct SaslInitialResponse {
  std::string mechanism;
  std::optional<std::string> data;
  bool operator==(const SaslInitialResponse&) const = default;
};
[[nodiscard]] absl::StatusOr<SaslInitialResponse> parse_sasl_initial_response(std::string_view payload);
[[nodiscard]] std::string encode_sasl_initial_response(const SaslInitialResponse& response);

// Redshift AUTH_REQ_DIGEST (13) request payload: Int32 algorithm (0 = SHA-256), Int32
// salt length, salt, Int32 server-nonce length, server nonce.
struct RedshiftDigestRequest {
  int32_t algorithm = 0;
  std::string salt;
  std::string server_nonce;
  bool operator==(const RedshiftDigestRequest&) const = default;
};
[[nodiscard]] absl::StatusOr<RedshiftDigestRequest> parse_redshift_digest_request(std::string_view payload);
[[nodiscard]] std::string encode_redshift_digest_request(const RedshiftDigestRequest& request);

// The client's answer, frontend code 'd': Int32 digest length, digest, Int32 client-nonce
// length, client nonce.
struct RedshiftDigestResponse {
  std::string digest;
  std::string client_nonce;
  bool operator==(const RedshiftDigestResponse&) const = default;
};
[[nodiscard]] absl::StatusOr<RedshiftDigestResponse> parse_redshift_digest_response(std::string_view body);
[[nodiscard]] std::string encode_redshift_digest_response(const RedshiftDigestResponse& response);

}  // namespace blueshift::protocol

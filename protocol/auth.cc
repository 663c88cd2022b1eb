// Authentication payload helpers; see auth.h. All reads go through Cursor, so a malformed
// payload from either peer is an InvalidArgument status.
#include "protocol/auth.h"

#include "protocol/cursor.h"
#include "protocol/writer.h"

namespace blueshift::protocol {
namespace {

// Int32 length then that many bytes, length >= 0 (the digest messages have no NULL).
bool read_sized(Cursor& c, std::string& out) {
  std::optional<std::string> v;
  if (!c.nullable_bytes(v)) return false;
  if (!v) return c.fail("length -1 where a value is required");
  out = std::move(*v);
  return true;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> parse_sasl_mechanisms(std::string_view payload) {
  Cursor c(byte_span(payload), "SASL mechanism list");
  std::vector<std::string> mechanisms;
  for (;;) {
    std::string name;
    if (!c.cstring(name)) return c.status();
    if (name.empty()) break;
    mechanisms.push_back(std::move(name));
  }
  if (!c.finish()) return c.status();
  return mechanisms;
}

std::string encode_sasl_mechanisms(const std::vector<std::string>& mechanisms) {
  std::string out;
  MessageWriter w(out);
  for (const auto& m : mechanisms) w.cstring(m);
  w.byte('\0');
  return out;
}

absl::StatusOr<SaslInitialResponse> parse_sasl_initial_response(std::string_view payload) {
  Cursor c(byte_span(payload), "SASLInitialResponse");
  SaslInitialResponse r;
  if (!c.cstring(r.mechanism) || !c.nullable_bytes(r.data) || !c.finish()) return c.status();
  return r;
}

std::string encode_sasl_initial_response(const SaslInitialResponse& response) {
  std::string out;
  MessageWriter w(out);
  w.cstring(response.mechanism);
  w.nullable_bytes(response.data);
  return out;
}

absl::StatusOr<RedshiftDigestRequest> parse_redshift_digest_request(std::string_view payload) {
  Cursor c(byte_span(payload), "Redshift digest request");
  RedshiftDigestRequest r;
  if (!c.i32(r.algorithm) || !read_sized(c, r.salt) || !read_sized(c, r.server_nonce) || !c.finish()) {
    return c.status();
  }
  return r;
}

std::string encode_redshift_digest_request(const RedshiftDigestRequest& request) {
  std::string out;
  MessageWriter w(out);
  w.i32(request.algorithm);
  w.nullable_bytes(request.salt);
  w.nullable_bytes(request.server_nonce);
  return out;
}

absl::StatusOr<RedshiftDigestResponse> parse_redshift_digest_response(std::string_view body) {
  Cursor c(byte_span(body), "Redshift digest response");
  RedshiftDigestResponse r;
  if (!read_sized(c, r.digest) || !read_sized(c, r.client_nonce) || !c.finish()) return c.status();
  return r;
}

std::string encode_redshift_digest_response(const RedshiftDigestResponse& response) {
  std::string out;
  MessageWriter w(out);
  w.nullable_bytes(response.digest);
  w.nullable_bytes(response.client_nonce);
  return out;
}

}  // namespace blueshift::protocol

// The server half of the console's authentication (console_settings.h holds the users):
// SCRAM-SHA-256 (RFC 5802/7677, without channel binding, as PostgreSQL offers it over a
// terminated TLS connection) and PostgreSQL's MD5 challenge. Pure functions and a small
// state machine over message payloads; the console does the I/O. Asio-free.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "proxy/console_settings.h"

namespace blueshift::proxy {

class ScramExchange {
 public:
  // server_nonce: random printable characters (tests give a fixed one).
  ScramExchange(const ScramVerifier& verifier, std::string server_nonce);
  // The client-first-message in, the server-first-message out; nullopt when malformed or
  // when it asks for channel binding.
  [[nodiscard]] std::optional<std::string> first(std::string_view client_first);
  // The client-final-message in; the server-final-message ("v=...") when the proof is
  // right, nullopt otherwise (wrong password, wrong nonce, malformed).
  [[nodiscard]] std::optional<std::string> final(std::string_view client_final);

 private:
  ScramVerifier verifier_;
  std::string server_nonce_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;  // client's then server's
};

// HMAC-SHA-256 and SHA-256, raw bytes.
[[nodiscard]] std::string scram_hmac(std::string_view key, std::string_view data);
[[nodiscard]] std::string scram_sha256(std::string_view data);
// abseil's string_view for a std one (Debian's abseil does not alias them).
[[nodiscard]] inline absl::string_view absl_view(std::string_view s) { return {s.data(), s.size()}; }
// A random nonce of printable characters (getrandom).
[[nodiscard]] std::string random_nonce();
// The 4 random salt bytes of an MD5 challenge.
[[nodiscard]] std::string random_md5_salt();
// Whether response ("md5" + md5(md5hex-of-stored + salt)) answers the challenge.
[[nodiscard]] bool md5_response_matches(std::string_view stored_md5, std::string_view salt,
                                        std::string_view response);

}  // namespace blueshift::proxy

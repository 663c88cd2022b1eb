// The console's authentication; see console_auth.h.
#include "proxy/console_auth.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/crypto.h>
#include <sys/random.h>

#include <cstdio>

#include "absl/strings/escaping.h"

namespace blueshift::proxy {
namespace {

constexpr std::string_view kNonceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr size_t kNonceLength = 24;

// The value of attribute `name` ("r", "p", ...) in a comma-separated SCRAM message.
std::optional<std::string_view> attribute(std::string_view message, char name) {
  while (!message.empty()) {
    const size_t comma = message.find(',');
    const std::string_view part = message.substr(0, comma);
    if (part.size() >= 2 && part[0] == name && part[1] == '=') return part.substr(2);
    if (comma == std::string_view::npos) break;
    message.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

std::string md5_hex(std::string_view data) {
  unsigned char digest[16];
  EVP_Digest(data.data(), data.size(), digest, nullptr, EVP_md5(), nullptr);
  std::string hex;
  char two[3];
  for (unsigned char b : digest) {
    std::snprintf(two, sizeof two, "%02x", b);
    hex += two;
  }
  return hex;
}

}  // namespace

std::string scram_hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string scram_sha256(std::string_view data) {
  unsigned char out[32];
  EVP_Digest(data.data(), data.size(), out, nullptr, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

std::string random_nonce() {
  unsigned char bytes[kNonceLength];
  size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  std::string nonce;
  for (unsigned char b : bytes) nonce += kNonceChars[b % kNonceChars.size()];
  return nonce;
}

std::string random_md5_salt() { return random_nonce().substr(0, 4); }

ScramExchange::ScramExchange(const ScramVerifier& verifier, std::string server_nonce)
    : verifier_(verifier), server_nonce_(std::move(server_nonce)) {}

std::optional<std::string> ScramExchange::first(std::string_view client_first) {
  // gs2 header: "n,," (no channel binding) or "y,," (client could, server did not offer).
  if (client_first.size() < 3 || (client_first[0] != 'n' && client_first[0] != 'y') || client_first[1] != ',')
    return std::nullopt;
  const size_t bare = client_first.find(',', 2);
  if (bare == std::string_view::npos) return std::nullopt;
  client_first_bare_ = std::string(client_first.substr(bare + 1));
  const auto nonce = attribute(client_first_bare_, 'r');
  if (!nonce || nonce->empty()) return std::nullopt;
  nonce_ = std::string(*nonce) + server_nonce_;
  server_first_ = "r=" + nonce_ + ",s=" + absl::Base64Escape(absl_view(verifier_.salt)) + ",i=" + std::to_string(verifier_.iterations);
  return server_first_;
}

std::optional<std::string> ScramExchange::final(std::string_view client_final) {
  if (server_first_.empty()) return std::nullopt;
  const size_t proof_at = client_final.rfind(",p=");
  if (proof_at == std::string_view::npos) return std::nullopt;
  const std::string_view without_proof = client_final.substr(0, proof_at);
  const auto nonce = attribute(without_proof, 'r');
  std::string proof;
  if (!nonce || *nonce != nonce_ || !absl::Base64Unescape(absl_view(client_final.substr(proof_at + 3)), &proof) ||
      proof.size() != 32)
    return std::nullopt;
  const std::string auth_message = client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  const std::string signature = scram_hmac(verifier_.stored_key, auth_message);
  std::string client_key(32, '\0');
  for (size_t i = 0; i < 32; ++i) client_key[i] = static_cast<char>(proof[i] ^ signature[i]);
  const std::string stored = scram_sha256(client_key);
  if (CRYPTO_memcmp(stored.data(), verifier_.stored_key.data(), 32) != 0) return std::nullopt;
  return "v=" + absl::Base64Escape(absl_view(scram_hmac(verifier_.server_key, auth_message)));
}

bool md5_response_matches(std::string_view stored_md5, std::string_view salt, std::string_view response) {
  if (stored_md5.size() != 35) return false;
  std::string salted(stored_md5.substr(3));
  salted.append(salt);
  const std::string expected = "md5" + md5_hex(salted);
  return response.size() == expected.size() && CRYPTO_memcmp(response.data(), expected.data(), expected.size()) == 0;
}

}  // namespace blueshift::proxy

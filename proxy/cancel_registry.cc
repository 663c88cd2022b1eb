#include "proxy/cancel_registry.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

namespace blueshift::proxy {
namespace {

constexpr int kRandomBits = 32 - kPeerIdBits;
constexpr uint32_t kForwardedBit = 0x80000000u;

uint32_t random_word() {
  // The kernel's CSPRNG rather than OpenSSL's: a proxy without TLS then never pages in
  // libcrypto's random generator (about 2 MB of resident code and tables) for 4 bytes.
  uint32_t word;
  ssize_t got;
  do {
    got = ::getrandom(&word, sizeof(word), 0);  // up to 256 bytes never come back short
  } while (got < 0 && errno == EINTR);
  if (got != static_cast<ssize_t>(sizeof(word)))
    throw std::runtime_error("getrandom failed");  // programmer/platform error, not peer input
  return word;
}

}  // namespace

int issuing_peer(const BackendKey& key) { return static_cast<int>(uint32_t(key.secret_key) >> kRandomBits); }

BackendKey mark_forwarded(const BackendKey& key) {
  return {static_cast<int32_t>(uint32_t(key.process_id) | kForwardedBit), key.secret_key};
}
bool is_forwarded(const BackendKey& key) { return (uint32_t(key.process_id) & kForwardedBit) != 0; }
BackendKey unmark_forwarded(const BackendKey& key) {
  return {static_cast<int32_t>(uint32_t(key.process_id) & ~kForwardedBit), key.secret_key};
}

CancelRoute route_cancel(const BackendKey& received, int own_peer_id, const std::vector<Peer>& peers) {
  // Without peering nobody forwards: a marked key names no session (real pids are positive).
  if (own_peer_id == 0) return {is_forwarded(received) ? CancelRoute::Kind::Unknown : CancelRoute::Kind::Local};
  const int issuer = issuing_peer(received);
  if (issuer == own_peer_id) return {CancelRoute::Kind::Local};
  const bool known = std::any_of(peers.begin(), peers.end(), [&](const Peer& p) { return p.id == issuer; });
  if (!known || is_forwarded(received)) return {};  // a forwarded cancel is never forwarded again
  return {CancelRoute::Kind::Peer, issuer};
}

BackendKey CancelRegistry::issue(const BackendKey& upstream, int peer_id) {
  const uint32_t tag = peer_id == 0 ? 0 : uint32_t(peer_id) << kRandomBits;
  const uint32_t random_mask = peer_id == 0 ? ~0u : (1u << kRandomBits) - 1;
  std::lock_guard lock(mutex_);
  for (;;) {
    const BackendKey key{upstream.process_id, static_cast<int32_t>(tag | (random_word() & random_mask))};
    if (map_.count(key)) continue;  // the same pid twice (reused while its old session ends)
    map_.emplace(key, upstream);
    return key;
  }
}

void CancelRegistry::remove(const BackendKey& client) {
  std::lock_guard lock(mutex_);
  map_.erase(client);
}

std::optional<BackendKey> CancelRegistry::find(const BackendKey& client) const {
  std::lock_guard lock(mutex_);
  auto it = map_.find(client);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

size_t CancelRegistry::size() const {
  std::lock_guard lock(mutex_);
  return map_.size();
}

}  // namespace blueshift::proxy

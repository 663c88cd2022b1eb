// Maps the BackendKeyData the proxy hands each client to the upstream's real key, and says
// where a CancelRequest goes when several instances share the clients (peering).
//
// A client gets the server's own process id (so pg_backend_pid(), pg_terminate_backend() and
// NotificationResponse agree with it) and a fresh random secret from the kernel's CSPRNG; a
// CancelRequest is honoured only for an exact match of the pair. The secret's random bits
// are what make a cancel unguessable, as in PostgreSQL itself: all 32 of them without
// peering, 32 - kPeerIdBits with it (the top bits then name the instance that issued the
// key, as PgBouncer's peering does). Shared by all sessions, hence the mutex; touched only at
// login, logout and cancel.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "proxy/config.h"

namespace blueshift::proxy {

struct BackendKey {
  int32_t process_id = 0;
  int32_t secret_key = 0;
  bool operator==(const BackendKey&) const = default;
};

// Peer ids 1..kMaxPeerId fit the top kPeerIdBits of a secret; 0 means no peering.
inline constexpr int kPeerIdBits = 4;
inline constexpr int kMaxPeerId = (1 << kPeerIdBits) - 1;

// The instance a key was issued by (0 when the top bits are 0).
[[nodiscard]] int issuing_peer(const BackendKey& key);

// A CancelRequest forwarded by a peer carries the sign bit of its process id (real process
// ids are positive): the receiver then looks it up locally and never forwards it again.
[[nodiscard]] BackendKey mark_forwarded(const BackendKey& key);
[[nodiscard]] bool is_forwarded(const BackendKey& key);
[[nodiscard]] BackendKey unmark_forwarded(const BackendKey& key);

// What to do with a CancelRequest that arrived at instance own_peer_id.
struct CancelRoute {
  enum class Kind { Local, Peer, Unknown } kind = Kind::Unknown;
  int peer = 0;  // Peer: the instance to forward it to
};
[[nodiscard]] CancelRoute route_cancel(const BackendKey& received, int own_peer_id, const std::vector<Peer>& peers);

class CancelRegistry {
 public:
  // Registers the upstream's key and returns the key to give the client: the upstream's
  // process id and a fresh random secret whose top bits are peer_id when peer_id != 0.
  BackendKey issue(const BackendKey& upstream, int peer_id = 0);
  void remove(const BackendKey& client);
  [[nodiscard]] std::optional<BackendKey> find(const BackendKey& client) const;
  [[nodiscard]] size_t size() const;

 private:
  struct Hash {
    size_t operator()(const BackendKey& k) const {
      return std::hash<uint64_t>()((uint64_t(uint32_t(k.process_id)) << 32) | uint32_t(k.secret_key));
    }
  };
  mutable std::mutex mutex_;
  std::unordered_map<BackendKey, BackendKey, Hash> map_;
};

}  // namespace blueshift::proxy

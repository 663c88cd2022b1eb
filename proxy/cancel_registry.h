// Maps the BackendKeyData the proxy hands each client to the upstream's real key.
//
// Clients get their own random (process id, secret) pair from the kernel's CSPRNG; a
// CancelRequest is honoured only for an exact match of both, so guessing another client's
// key is as hard as guessing 62 random bits. Shared by all sessions, hence the mutex;
// touched only at login, logout and cancel.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace blueshift::proxy {

struct BackendKey {
  int32_t process_id = 0;
  int32_t secret_key = 0;
  bool operator==(const BackendKey&) const = default;
};

class CancelRegistry {
 public:
  // Registers the upstream's key and returns the fresh key to give the client.
  BackendKey issue(const BackendKey& upstream);
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

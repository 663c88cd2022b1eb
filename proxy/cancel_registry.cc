#include "proxy/cancel_registry.h"

#include <openssl/rand.h>

#include <stdexcept>

namespace blueshift::proxy {

BackendKey CancelRegistry::issue(const BackendKey& upstream) {
  std::lock_guard lock(mutex_);
  for (;;) {
    uint32_t words[2];
    if (RAND_bytes(reinterpret_cast<unsigned char*>(words), sizeof(words)) != 1)
      throw std::runtime_error("RAND_bytes failed");  // programmer/platform error, not peer input
    // Positive process ids, like a server's, so clients that print them are not confused.
    BackendKey key{static_cast<int32_t>(words[0] & 0x7fffffff), static_cast<int32_t>(words[1])};
    if (key.process_id == 0 || map_.count(key)) continue;
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

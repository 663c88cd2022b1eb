#include "proxy/cancel_registry.h"

#include <sys/random.h>

#include <cerrno>
#include <stdexcept>

namespace blueshift::proxy {

BackendKey CancelRegistry::issue(const BackendKey& upstream) {
  std::lock_guard lock(mutex_);
  for (;;) {
    // The kernel's CSPRNG rather than OpenSSL's: a proxy without TLS then never pages in
    // libcrypto's random generator (about 2 MB of resident code and tables) for 8 bytes.
    uint32_t words[2];
    ssize_t got;
    do {
      got = ::getrandom(words, sizeof(words), 0);  // up to 256 bytes never come back short
    } while (got < 0 && errno == EINTR);
    if (got != static_cast<ssize_t>(sizeof(words)))
      throw std::runtime_error("getrandom failed");  // programmer/platform error, not peer input
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

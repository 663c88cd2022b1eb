// Every session of the process, for what acts on all of them from outside their I/O
// thread: the drain at shutdown (and later the admin console). A session is added when it
// starts and removed when it is destroyed: one lock each, never on a message's path.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "proxy/asio.h"

namespace blueshift::proxy {

class Session;

class SessionTable {
 public:
  // Returns the id to remove() it with.
  uint64_t add(const std::shared_ptr<Session>& session, Executor executor);
  void remove(uint64_t id);
  [[nodiscard]] size_t size() const;
  // Runs fn on each live session's own I/O thread, where its state may be touched.
  // Returns how many sessions it was posted to.
  size_t post_each(const std::function<void(Session&)>& fn) const;
  // The same for the session with this id; false when there is none (it has ended).
  bool post_to(uint64_t id, const std::function<void(Session&)>& fn) const;

 private:
  struct Entry {
    std::weak_ptr<Session> session;
    Executor executor;
  };
  mutable std::mutex mutex_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Entry> entries_;
};

}  // namespace blueshift::proxy

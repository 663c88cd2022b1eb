// The session table; see session_table.h.
#include "proxy/session_table.h"

#include <optional>
#include <utility>
#include <vector>

namespace blueshift::proxy {

uint64_t SessionTable::add(const std::shared_ptr<Session>& session, Executor executor) {
  std::lock_guard lock(mutex_);
  const uint64_t id = next_id_++;
  entries_.emplace(id, Entry{session, executor});
  return id;
}

void SessionTable::remove(uint64_t id) {
  std::lock_guard lock(mutex_);
  entries_.erase(id);
}

size_t SessionTable::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

size_t SessionTable::post_each(const std::function<void(Session&)>& fn) const {
  std::vector<std::pair<std::shared_ptr<Session>, Executor>> live;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, entry] : entries_) {
      if (auto session = entry.session.lock()) live.emplace_back(std::move(session), entry.executor);
    }
  }
  // Outside the lock: the last reference to a session may go here, and its destructor
  // removes it from the table. The post holds it until fn has run.
  for (auto& [session, executor] : live) asio::post(executor, [session, fn] { fn(*session); });
  return live.size();
}

bool SessionTable::post_to(uint64_t id, const std::function<void(Session&)>& fn) const {
  std::shared_ptr<Session> session;
  std::optional<Executor> executor;
  {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(id);
    if (it == entries_.end() || !(session = it->second.session.lock())) return false;
    executor = it->second.executor;
  }
  asio::post(*executor, [session = std::move(session), fn] { fn(*session); });
  return true;
}

}  // namespace blueshift::proxy

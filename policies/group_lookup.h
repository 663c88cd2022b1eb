// Group membership looked up one user at a time on the catalog's service connection: the
// governor's for users its catalog does not know (logged in after the last load), and the
// tier router's own when no `policies:` section makes a governor (session_groups.h).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "policies/audit_log.h"

namespace blueshift::policies {

// A user's groups (direct and inherited); nullopt = no such user.
using UserGroupsLoader =
    std::function<absl::StatusOr<std::optional<std::vector<std::string>>>(const std::string& user)>;

class GroupLookup {
 public:
  // load: null means nothing can be looked up. max_age: an answer older than that is asked
  // again (zero: kept until forget()).
  GroupLookup(UserGroupsLoader load, Clock clock, std::chrono::seconds max_age = {});

  [[nodiscard]] bool can_look_up() const { return static_cast<bool>(load_); }
  // The groups last looked up (nullopt: never known). Non-blocking.
  [[nodiscard]] std::optional<std::vector<std::string>> known(const std::string& user) const;
  // Whether look_up would ask: no answer yet, or one older than max_age. Non-blocking.
  [[nodiscard]] bool stale(const std::string& user) const;
  // Blocks on the loader (run it off the I/O threads). Concurrent look-ups of one user share
  // one query. A failure keeps what was known and is retried, with a backoff from 1 s
  // doubling to 60 s, by the next look_up after the backoff; before that it returns at once.
  void look_up(const std::string& user);
  // Drops every answer not being looked up now (a refreshed catalog knows those users).
  void forget();

 private:
  struct Entry;
  [[nodiscard]] bool fresh(const Entry& e) const;

  const UserGroupsLoader load_;
  const Clock clock_;
  const std::chrono::seconds max_age_;
  // Held only to read or update users_, never while asking the warehouse.
  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> users_;
};

}  // namespace blueshift::policies

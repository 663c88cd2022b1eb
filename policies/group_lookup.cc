// One user's groups at a time, shared by concurrent sessions; see group_lookup.h.
#include "policies/group_lookup.h"

#include <algorithm>

#include "policies/log_text.h"
#include "spdlog/spdlog.h"

namespace blueshift::policies {

namespace {

// A failed look-up is retried after 1 s, doubling up to a minute.
constexpr std::chrono::seconds kFirstBackoff{1};
constexpr std::chrono::seconds kMaxBackoff{60};

std::chrono::seconds backoff_after(int failures) {
  return std::min<std::chrono::seconds>(kMaxBackoff, kFirstBackoff * (1 << std::min(failures - 1, 6)));
}

}  // namespace

// A user's groups as learnt, or how looking them up went.
struct GroupLookup::Entry {
  std::optional<std::vector<std::string>> groups;     // set once known
  std::chrono::system_clock::time_point looked_up_at;  // when groups were learnt
  bool in_flight = false;                              // a look_up is asking the warehouse
  int failures = 0;                                    // in a row
  std::chrono::system_clock::time_point retry_at;      // after a failure: no new attempt before
};

GroupLookup::GroupLookup(UserGroupsLoader load, Clock clock, std::chrono::seconds max_age)
    : load_(std::move(load)), clock_(std::move(clock)), max_age_(max_age) {}

bool GroupLookup::fresh(const Entry& e) const {
  return e.groups && (max_age_.count() == 0 || clock_() - e.looked_up_at < max_age_);
}

std::optional<std::vector<std::string>> GroupLookup::known(const std::string& user) const {
  std::lock_guard lock(mutex_);
  const auto it = users_.find(user);
  if (it == users_.end()) return std::nullopt;
  return it->second->groups;
}

bool GroupLookup::stale(const std::string& user) const {
  std::lock_guard lock(mutex_);
  const auto it = users_.find(user);
  return it == users_.end() || !fresh(*it->second);
}

void GroupLookup::look_up(const std::string& user) {
  if (!load_) return;
  std::unique_lock lock(mutex_);
  auto& slot = users_[user];
  if (!slot) slot = std::make_shared<Entry>();
  const std::shared_ptr<Entry> entry = slot;  // forget() may drop it from the map meanwhile
  done_.wait(lock, [&] { return !entry->in_flight; });  // another session of this user asks
  if (fresh(*entry) || clock_() < entry->retry_at) return;
  entry->in_flight = true;
  lock.unlock();
  auto looked_up = load_(user);
  lock.lock();
  entry->in_flight = false;
  std::chrono::seconds backoff{0};
  if (looked_up.ok()) {
    entry->groups = looked_up->value_or(std::vector<std::string>{});
    entry->looked_up_at = clock_();
    entry->failures = 0;
  } else {
    backoff = backoff_after(++entry->failures);
    entry->retry_at = clock_() + backoff;
  }
  lock.unlock();
  done_.notify_all();
  if (!looked_up.ok()) {
    spdlog::warn("could not look up the groups of user {} (group scopes hold the session until a look-up "
                 "succeeds; next attempt after {} s): {}",
                 log_text(user), backoff.count(), log_message(std::string(looked_up.status().message())));
  }
}

void GroupLookup::forget() {
  std::lock_guard lock(mutex_);
  // A look-up in flight keeps its entry (the waiting sessions share its answer).
  for (auto it = users_.begin(); it != users_.end();) {
    it = it->second->in_flight ? std::next(it) : users_.erase(it);
  }
}

}  // namespace blueshift::policies

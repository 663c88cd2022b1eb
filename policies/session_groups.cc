// Session groups without a governor; see session_groups.h.
#include "policies/session_groups.h"

#include <atomic>

#include "policies/evaluate.h"
#include "policies/governor.h"
#include "policies/group_lookup.h"

namespace blueshift::policies {

namespace {

class LookedUpGroups final : public SessionGroups {
 public:
  LookedUpGroups(UserGroupsLoader load, std::chrono::seconds max_age, Clock clock)
      : lookup_(std::move(load), std::move(clock), max_age) {}

  bool needs_group_lookup(const std::string& user) const override {
    return wanted_.load(std::memory_order_relaxed) && lookup_.can_look_up() && lookup_.stale(user);
  }
  void lookup_groups(const std::string& user) override {
    if (needs_group_lookup(user)) lookup_.look_up(user);
  }
  SessionFacts session_facts(const SessionContext& ctx) override {
    SessionFacts f{ctx.user, ctx.database, ctx.application_name, ctx.client_address, {}};
    f.backend_pid = ctx.backend_pid;
    if (!wanted_.load(std::memory_order_relaxed)) return f;
    if (auto groups = lookup_.known(ctx.user)) f.groups = std::move(*groups);
    else f.groups_unknown = true;
    return f;
  }
  void want_groups(bool wanted) override { wanted_.store(wanted, std::memory_order_relaxed); }

 private:
  GroupLookup lookup_;
  std::atomic<bool> wanted_{false};
};

}  // namespace

std::unique_ptr<SessionGroups> looked_up_groups(UserGroupsLoader load, std::chrono::seconds max_age, Clock clock) {
  if (!clock) clock = [] { return std::chrono::system_clock::now(); };
  return std::make_unique<LookedUpGroups>(std::move(load), max_age, std::move(clock));
}

}  // namespace blueshift::policies

// Where a session's groups come from for scopes (SessionFacts, policies/evaluate.h): the
// Governor, whose catalog lists members and which looks up users it does not know; or,
// with no `policies:` section and so no governor, one of these of the tier router's own
// that looks every user up on the catalog's service connection (tier rules name groups).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "policies/group_lookup.h"

namespace blueshift::policies {

struct SessionContext;  // policies/governor.h
struct SessionFacts;    // policies/evaluate.h

class SessionGroups {
 public:
  virtual ~SessionGroups() = default;
  // True when scopes name groups and the user's are not known (or too old). Cheap and
  // non-blocking.
  [[nodiscard]] virtual bool needs_group_lookup(const std::string& user) const = 0;
  // Blocks on libpq: the proxy runs it off the I/O threads and awaits it before the
  // session's statements.
  virtual void lookup_groups(const std::string& user) = 0;
  // The session as scopes see it, groups included (groups_unknown until known: a group
  // scope then holds the session). Non-blocking.
  [[nodiscard]] virtual SessionFacts session_facts(const SessionContext& session) = 0;
  // Whether scopes outside the policies (tier rules) name groups.
  virtual void want_groups(bool wanted) = 0;
};

// Every user's groups looked up with load (GroupLookup; null: none can be), each answer
// asked again once older than max_age. For the router when there is no governor.
[[nodiscard]] std::unique_ptr<SessionGroups> looked_up_groups(UserGroupsLoader load, std::chrono::seconds max_age,
                                                              Clock clock = {});

}  // namespace blueshift::policies

// What a reload (SIGHUP) may change in a running proxy, and what only a restart can: the
// listening sockets, the thread layout, the instance's identity among its peers, and what
// the policy governor was built with (catalog connection, audit file). A reloaded
// configuration keeps the running values of those keys, and the reload says which changed.
#pragma once

#include <string>
#include <vector>

#include "proxy/config.h"

namespace blueshift::proxy {

// The restart-only keys whose values differ between running and fresh, by their config
// names ("listen", "catalog.conninfo"). Sets fresh's values of them to running's.
std::vector<std::string> keep_restart_only_keys(const Config& running, Config& fresh);

// Whether a key (its config name, "listen") takes a restart to change (SHOW CONFIG).
[[nodiscard]] bool takes_restart(const std::string& key);

// Reads and checks the file running was loaded from (validate(), restart-only keys kept).
// Throws std::runtime_error naming the key at fault; nothing is applied here.
Config reread_config(const Config& running, std::vector<std::string>* restart_keys);

}  // namespace blueshift::proxy

// How an open session follows a reloaded configuration: between statements it takes the
// snapshot a reload stored (Session::take_reloaded_config, defined in session_reload.cc),
// so tighter limits and the `upserts:` section reach sessions that logged in before the
// reload. (The key look-up for upserts without a column list, UpsertKeys, is made at
// start-up only when upserts are on; switched on by a reload, those forms are refused.)
#pragma once

#include "proxy/config.h"

namespace blueshift::proxy {

// Whether the configuration sets a limit the session's watchdog task enforces.
[[nodiscard]] bool has_time_limits(const Config& config);

}  // namespace blueshift::proxy

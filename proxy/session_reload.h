// How an open session follows a reloaded configuration: between statements it takes the
// snapshot a reload stored (Session::take_reloaded_config, defined in session_reload.cc),
// so tighter limits reach sessions that logged in before the reload.
#pragma once

#include "proxy/config.h"

namespace blueshift::proxy {

// Whether the configuration sets a limit the session's watchdog task enforces.
[[nodiscard]] bool has_time_limits(const Config& config);

}  // namespace blueshift::proxy

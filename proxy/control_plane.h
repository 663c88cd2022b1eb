// The control plane: SIGINT/SIGTERM shut down (each signal calls shutdown: the first begins
// the drain, a second exits, drain.h), SIGHUP reloads the policies, and a timer
// refreshes the catalog. Signals are caught on the main loop; everything that blocks (file
// reads, libpq) runs on a control thread of its own, never on an I/O loop, and sessions keep
// deciding on the old snapshot until the new one is swapped in.
#pragma once

#include <functional>
#include <memory>

#include "policies/governor.h"
#include "proxy/asio.h"
#include "proxy/config.h"

namespace blueshift::proxy {

class ControlPlane {
 public:
  // shutdown: called on main_loop when a stop signal arrives. governor may be null.
  // reload: what SIGHUP does, on the control thread (config_reload.h); without it, SIGHUP
  // reloads the governor's policies alone.
  ControlPlane(asio::io_context& main_loop, std::shared_ptr<const Config> config,
               std::shared_ptr<policies::Governor> governor, std::function<void()> shutdown,
               std::function<void()> reload = {});
  // Stops the refresh timer and joins the control thread.
  ~ControlPlane();

 private:
  void wait_for_stop();
  void wait_for_reload();
  void reload() const;
  void schedule_refresh();

  std::shared_ptr<const Config> config_;
  std::shared_ptr<policies::Governor> governor_;
  std::function<void()> shutdown_;
  std::function<void()> reload_;
  asio::thread_pool control_{1};
  asio::signal_set stop_signals_;
  asio::signal_set reload_signal_;
  asio::steady_timer refresh_;
};

}  // namespace blueshift::proxy

// The control plane; see control_plane.h.
#include "proxy/control_plane.h"

#include <spdlog/spdlog.h>

namespace blueshift::proxy {

ControlPlane::ControlPlane(asio::io_context& main_loop, std::shared_ptr<const Config> config,
                           std::shared_ptr<policies::Governor> governor, std::function<void()> shutdown,
                           std::function<void()> reload)
    : config_(std::move(config)),
      governor_(std::move(governor)),
      shutdown_(std::move(shutdown)),
      reload_(std::move(reload)),
      stop_signals_(main_loop, SIGINT, SIGTERM),
      reload_signal_(main_loop, SIGHUP),
      refresh_(control_) {
  wait_for_stop();
  wait_for_reload();
  if (governor_ && !config_->catalog_conninfo.empty() && config_->catalog_refresh_seconds > 0) schedule_refresh();
}

ControlPlane::~ControlPlane() {
  asio::post(control_, [this] { refresh_.cancel(); });
  control_.stop();
  control_.join();
}

void ControlPlane::wait_for_stop() {
  stop_signals_.async_wait([this](const error_code& e, int signal) {
    if (e) return;
    spdlog::info("signal {} received, shutting down", signal);
    shutdown_();
    wait_for_stop();
  });
}

void ControlPlane::wait_for_reload() {
  reload_signal_.async_wait([this](const error_code& e, int) {
    if (e) return;
    asio::post(control_, [this] { reload(); });
    wait_for_reload();
  });
}

// On the control thread: reading the file and reloading block.
void ControlPlane::reload() const {
  if (reload_) {
    reload_();
    return;
  }
  const std::string& path = config_->source_path;
  if (!governor_ || path.empty()) {
    spdlog::info("SIGHUP: no policies configured from a file, nothing to reload");
    return;
  }
  try {
    const Config fresh = load_config(path);
    std::string error;
    if (governor_->reload(fresh.policies ? *fresh.policies : YAML::Node(), &error)) {
      spdlog::info("policies reloaded from {}", path);
    } else {
      spdlog::error("reload failed, keeping the previous policies: {}", error);
    }
  } catch (const std::exception& ex) {
    spdlog::error("reload failed, keeping the previous policies: {}", ex.what());
  }
}

// The timer runs on the control thread, so the refresh's libpq work blocks only that thread.
void ControlPlane::schedule_refresh() {
  refresh_.expires_after(std::chrono::seconds(config_->catalog_refresh_seconds));
  refresh_.async_wait([this](const error_code& e) {
    if (e) return;
    std::string error;
    if (!governor_->refresh_catalog(&error)) {
      spdlog::warn("catalog refresh failed, keeping the previous catalog: {}", error);
    }
    schedule_refresh();
  });
}

}  // namespace blueshift::proxy

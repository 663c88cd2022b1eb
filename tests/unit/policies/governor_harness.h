// A Governor over the demo catalog with every collaborator injected: a catalog loader
// that can be made to fail, a group look-up that can fail or be held, an adjustable clock
// and an audit file the tests read back (flushed first: the audit log writes it from its
// own thread). Shared by the Governor tests.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fixtures.h"
#include "nlohmann/json.hpp"
#include "policies/audit_log.h"
#include "policies/governor.h"
#include "policies/governor_options.h"

namespace blueshift::policies::testing {

inline SessionContext ctx(std::string user, std::vector<std::string> search_path = {}, std::string app = "psql") {
  SessionContext s;
  s.user = std::move(user);
  s.database = "dev";
  s.application_name = std::move(app);
  s.client_address = "127.0.0.1:50000";
  s.search_path = std::move(search_path);
  return s;
}

// A Parse's verdict, with the check deferred to Bind (if any) put in *deferred.
inline Verdict parse(Governor& g, std::string_view sql, const SessionContext& who,
                     std::shared_ptr<const PreparedCheck>* deferred, const std::vector<uint32_t>& param_types = {}) {
  Checked c = g.check_parse(sql, who, param_types);
  *deferred = std::move(c.deferred);
  return c.verdict;
}

class TempFile {
 public:
  TempFile() {
    char path[] = "/tmp/blueshift-governor-XXXXXX";
    const int fd = mkstemp(path);
    if (fd >= 0) close(fd);
    path_ = path;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }
  // Called before reading (the audit log's flush).
  std::function<void()> before_read;
  [[nodiscard]] std::vector<nlohmann::json> lines() const {
    if (before_read) before_read();
    std::ifstream in(path_);
    std::vector<nlohmann::json> out;
    for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
    return out;
  }

 private:
  std::string path_;
};

// A gate a test holds closed to keep a look-up in flight.
class Gate {
 public:
  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  void pass() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    --waiting_;
  }
  // Blocks until n callers wait at the gate.
  void await_waiting(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return waiting_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = true;
  int waiting_ = 0;
};

struct Harness {
  explicit Harness(const std::string& yaml = kDemoPolicies, bool catalog_fails_at_start = false)
      : catalog_fails(catalog_fails_at_start) {
    options.clock = [this] { return now.load(); };
    auto log = AuditLog::open(audit.path(), options.clock);
    if (!log.ok()) throw std::runtime_error(std::string(log.status().message()));
    options.audit_log = std::move(*log);
    audit.before_read = [log = options.audit_log] { log->flush(); };
    options.load_catalog = [this]() -> absl::StatusOr<Catalog> {
      ++catalog_loads;
      if (catalog_fails) return absl::UnavailableError("warehouse down");
      return catalog;
    };
    // As the warehouse answers: the groups the catalog has for the user, analysts for
    // newbie (created after the load), no such user otherwise.
    options.load_user_groups = [this](const std::string& user)
        -> absl::StatusOr<std::optional<std::vector<std::string>>> {
      ++group_lookups;
      lookup_gate.pass();
      if (groups_fail) return absl::UnavailableError("remaining connection slots are reserved");
      if (const auto it = catalog.user_groups.find(user); it != catalog.user_groups.end()) {
        return std::optional<std::vector<std::string>>(it->second);
      }
      if (user == "newbie") return std::optional<std::vector<std::string>>(std::vector<std::string>{"analysts"});
      return std::optional<std::vector<std::string>>();
    };
    governor = Governor::create(YAML::Load(yaml), options);
  }
  void advance(std::chrono::milliseconds d) { now = now.load() + d; }

  TempFile audit;
  Catalog catalog = demo_catalog();
  std::atomic<std::chrono::system_clock::time_point> now{
      std::chrono::system_clock::time_point(std::chrono::seconds(1714564800))};
  bool catalog_fails = false;
  std::atomic<bool> groups_fail{false};
  int catalog_loads = 0;
  std::atomic<int> group_lookups{0};
  Gate lookup_gate;
  GovernorOptions options;
  std::shared_ptr<Governor> governor;
};

}  // namespace blueshift::policies::testing

// The declared keys of the tables staged upserts target without a conflict target
// (`ON CONFLICT ON CONSTRAINT name`, `ON CONFLICT DO NOTHING`): one snapshot per database,
// read from the catalog off the I/O threads and cached. A lookup never blocks: a database
// not read yet, or a table its snapshot does not list (created since), starts a read and
// gets an error saying to retry, never a guessed key.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "policies/catalog_loader.h"
#include "policies/governor.h"

namespace blueshift::proxy {

class UpsertKeys : public std::enable_shared_from_this<UpsertKeys> {
 public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    // Blocking read of one database's keys (policies::load_table_keys).
    std::function<absl::StatusOr<policies::TableKeys>(const std::string& database)> load;
    // Runs a read off the I/O threads.
    std::function<void(std::function<void()>)> post;
    // A snapshot older than this is read again (its lookups still use it meanwhile); 0: never.
    std::chrono::seconds max_age{300};
    std::function<Clock::time_point()> now = [] { return Clock::now(); };
  };
  explicit UpsertKeys(Options options) : options_(std::move(options)) {}

  // Starts reading the database's keys unless they are read or being read.
  void prefetch(const std::string& database);

  // The keys of `schema.table` (schema "" when unqualified: the first schema of the
  // session's search_path that has the table), from the session database's snapshot.
  [[nodiscard]] absl::StatusOr<std::vector<rewrite::UpsertKey>> lookup(const policies::SessionContext& session,
                                                                       std::string_view schema,
                                                                       std::string_view table);

 private:
  struct Database {
    std::shared_ptr<const policies::TableKeys> keys;
    Clock::time_point read_at{};
    Clock::time_point tried_at{};  // the last read started
    bool reading = false;
    std::string error;  // why the last read failed
  };
  // Starts a read of `db` unless one runs or one started less than a second ago.
  void read_locked(const std::string& db, Database& d);

  Options options_;
  std::mutex mutex_;
  std::map<std::string, Database> databases_;
};

}  // namespace blueshift::proxy

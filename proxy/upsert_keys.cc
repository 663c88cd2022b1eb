#include "proxy/upsert_keys.h"

#include <spdlog/spdlog.h>

namespace blueshift::proxy {
namespace {

constexpr std::chrono::seconds kRetryAfter{1};

// search_path as the server reads it: "$user" is the session's user; unset: "$user", public.
std::vector<std::string> schemas(const policies::SessionContext& session) {
  std::vector<std::string> path = session.search_path;
  if (path.empty()) path = {"$user", "public"};
  for (std::string& s : path)
    if (s == "$user") s = session.user;
  return path;
}

}  // namespace

void UpsertKeys::prefetch(const std::string& database) {
  std::lock_guard lock(mutex_);
  Database& d = databases_[database];
  if (!d.keys) read_locked(database, d);
}

void UpsertKeys::read_locked(const std::string& db, Database& d) {
  const Clock::time_point now = options_.now();
  if (d.reading || (d.tried_at != Clock::time_point{} && now - d.tried_at < kRetryAfter)) return;
  d.reading = true;
  d.tried_at = now;
  options_.post([self = shared_from_this(), db] {
    absl::StatusOr<policies::TableKeys> read = self->options_.load(db);
    if (!read.ok()) spdlog::warn("upserts: could not read the keys of database {}: {}", db, std::string(read.status().message()));
    std::lock_guard lock(self->mutex_);
    Database& entry = self->databases_[db];
    entry.reading = false;
    if (read.ok()) {
      entry.keys = std::make_shared<const policies::TableKeys>(std::move(*read));
      entry.read_at = self->options_.now();
      entry.error.clear();
    } else {
      entry.error = std::string(read.status().message());
    }
  });
}

absl::StatusOr<std::vector<rewrite::UpsertKey>> UpsertKeys::lookup(const policies::SessionContext& session,
                                                                   std::string_view schema, std::string_view table) {
  if (schema.empty() && session.search_path_uncertain)
    return absl::FailedPreconditionError("the table's schema is not certain (search_path was set in a way Blueshift "
                                         "cannot follow), so its keys are not known: qualify the table");
  std::shared_ptr<const policies::TableKeys> keys;
  std::unique_lock lock(mutex_);
  Database& d = databases_[session.database];
  if (!d.keys) {
    read_locked(session.database, d);
    return absl::UnavailableError("the keys of database " + session.database + "'s tables are being read from the " +
                                  "catalog" + (d.error.empty() ? "" : " (the last read failed: " + d.error + ")") +
                                  "; retry in a moment");
  }
  if (options_.max_age.count() > 0 && options_.now() - d.read_at > options_.max_age) read_locked(session.database, d);
  keys = d.keys;
  lock.unlock();
  const std::vector<std::string> path = schema.empty() ? schemas(session) : std::vector<std::string>{std::string(schema)};
  for (const std::string& s : path) {
    const auto it = keys->tables.find(s + "." + std::string(table));
    if (it != keys->tables.end()) return it->second;
  }
  lock.lock();
  read_locked(session.database, databases_[session.database]);  // the table may be new
  return absl::UnavailableError("table " + std::string(schema.empty() ? "" : std::string(schema) + ".") +
                                std::string(table) + " is not in Blueshift's catalog of database " + session.database +
                                "; if it was just created, retry in a moment");
}

}  // namespace blueshift::proxy

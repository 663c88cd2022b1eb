// What the admin console reads of each session (SHOW CLIENTS, SHOW SERVERS, SHOW STATS):
// a snapshot a session takes of itself on its own I/O thread (Session::describe), so its
// state needs no lock; and the totals of sessions that have ended, per database and user.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace blueshift::proxy {

// Traffic a session has carried; added into ConsoleTotals when it ends.
struct SessionTraffic {
  uint64_t queries = 0;
  uint64_t bytes_received = 0;  // from the client
  uint64_t bytes_sent = 0;      // from the upstream, to the client
  double query_seconds = 0;
};

struct ClientRow {
  uint64_t id = 0;  // what KILL takes
  std::string user, database, application_name;
  std::string address;  // the real client's (PROXY protocol), host:port
  bool tls = false;
  bool console = false;  // an admin console session (no upstream)
  // login, active (a query runs), idle, idle in transaction, console
  std::string state;
  std::chrono::system_clock::time_point connected_at;
  double statement_seconds = -1;  // how long the running query has run; -1: none
  int32_t backend_pid = 0;        // the upstream's, 0 before login or for the console
  std::string upstream;           // host:port
  SessionTraffic traffic;
};

// Totals of ended sessions per (database, user): bounded by the names that logged in.
class ConsoleTotals {
 public:
  using Key = std::pair<std::string, std::string>;
  void add(const Key& key, const SessionTraffic& t) {
    std::lock_guard lock(mutex_);
    SessionTraffic& sum = totals_[key];
    sum.queries += t.queries;
    sum.bytes_received += t.bytes_received;
    sum.bytes_sent += t.bytes_sent;
    sum.query_seconds += t.query_seconds;
  }
  [[nodiscard]] std::map<Key, SessionTraffic> read() const {
    std::lock_guard lock(mutex_);
    return totals_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<Key, SessionTraffic> totals_;
};

}  // namespace blueshift::proxy

// How many clients the proxy holds in each phase of their connection, shared by every I/O
// thread: connections that have not logged in yet (in total and per client address), and
// clients past their startup packet, against limits.max_client_connections. Half-open
// sockets and clients that stall mid-login are bounded on their own, so they can neither
// take the places of logged-in users nor hold an unbounded number of warehouse backends.
//
// Asio-free: the session asks for a place when a connection is accepted and gives it back.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace blueshift::proxy {

class ConnectionSlots {
 public:
  struct Limits {
    size_t unauthenticated = 0;              // limits.max_unauthenticated_connections
    size_t unauthenticated_per_address = 0;  // limits.max_unauthenticated_per_address
  };
  // What a newly accepted connection may do.
  enum class Admission {
    Admit,            // log in; holds an unauthenticated place until released
    RefuseTotal,      // over the total: answered FATAL 53300 once its startup packet is read
    RefuseAddress,    // over its address's share: the same
    Close,            // the refusals are at their bound too: closed before reading a byte
  };

  // A connection's place, given back when released or destroyed. Move-only.
  class Place {
   public:
    Place() = default;
    Place(Place&& other) noexcept;
    Place& operator=(Place&& other) noexcept;
    Place(const Place&) = delete;
    Place& operator=(const Place&) = delete;
    ~Place() { release(); }
    void release();

   private:
    friend class ConnectionSlots;
    ConnectionSlots* owner_ = nullptr;
    std::string address_;
    bool refusal_ = false;  // one of the refusals' places, not the address's
  };

  // Admission of a connection from `address`. Admit fills *place with an unauthenticated
  // place; a refusal fills it with one of the refusals' (bounded by the same total, so that
  // answering refusals cannot itself exhaust the proxy).
  [[nodiscard]] Admission admit(const std::string& address, const Limits& limits, Place* place);
  // A client past its startup packet takes a place under max_client_connections; false when
  // there is none (nothing is then held). leave_client() gives one back.
  [[nodiscard]] bool enter_client(size_t max_client_connections);
  void leave_client();

  [[nodiscard]] size_t unauthenticated() const;
  [[nodiscard]] size_t unauthenticated_from(const std::string& address) const;
  [[nodiscard]] size_t refusing() const;
  [[nodiscard]] size_t clients() const;

 private:
  void give_back(const std::string& address, bool refusal);

  mutable std::mutex mutex_;
  size_t unauthenticated_ = 0;
  size_t refusing_ = 0;
  size_t clients_ = 0;
  std::unordered_map<std::string, size_t> per_address_;  // only addresses holding places
};

}  // namespace blueshift::proxy

// Level-triggered readiness for the pumps' plain TCP sockets (reads, and writes that wait).
//
// Asio's reactor is edge-triggered. After a read that did not drain the socket's queue for
// certain (every short read), the next wait costs a system call: either a speculative recv
// that fails with EAGAIN or an epoll_ctl re-arm. That is one extra call per message, in each
// direction. A short read cannot simply be followed by a wait either: a FIN or RST that came
// with the last bytes raises no new edge, and the session would never see its peer leave.
//
// A level-triggered epoll set has neither the cost nor the risk. A socket with anything
// unread (data, FIN, RST) is reported at every wait, so after a short read a pump just
// waits. PgBouncer (libevent) works the same way.
//
// There is one Readiness per io_context (an Asio service, so one per I/O thread). Its
// sockets sit level-triggered in Asio's own epoll set, each with a small operation of ours
// as its event data: Asio's reactor queues that operation with the events it got, as it
// queues its own per-descriptor state, and the scheduler runs it, which resumes the
// coroutine waiting on the socket in place. One epoll_wait per wake-up, as PgBouncer has;
// an earlier design nested a set of our own in Asio's and paid a second epoll_wait per
// wake. This leans on Asio 1.81's reactor internals (its epoll descriptor, and that it only
// touches the scheduler_operation part of an event's data): readiness.cc checks the
// version. A watched socket is first taken out of Asio's own bookkeeping (Stream::watch);
// waits for room to write go through here as well, with EPOLLOUT
// asked for only while someone waits for it.
//
// An idle session need not keep its waiting coroutines: a read wait that may park and has
// waited through a whole tick completes with kParkRequest, and its pump ends, leaving a
// Sleeper (a reference to the session and a function that starts the pump again) to be
// woken by the next readiness. Busy sessions never wait that long, so they pay nothing.
//
// Single-threaded like the io_context it belongs to: every call happens on its thread.
#pragma once

#include <sys/epoll.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <vector>

#include "proxy/asio.h"

namespace blueshift::proxy {

class Readiness : public asio::execution_context::service {
 public:
  using key_type = Readiness;
  static asio::execution_context::id id;

  // What a parkable read wait completes with once it has waited through a whole tick
  // (kParkTick): its coroutine may end and leave a Sleeper in its place.
  static constexpr asio::error::basic_errors kParkRequest = asio::error::would_block;
  static constexpr std::chrono::milliseconds kParkTick{100};

  // A reader parked without a coroutine: an idle session keeps this (a reference and a
  // function) instead of its waiting coroutines' frames. wake() is called once: with no
  // error when the socket has something to read, with operation_aborted when the watch
  // goes away first.
  struct Sleeper {
    std::shared_ptr<void> target;
    void (*wake)(const std::shared_ptr<void>& target, error_code ec) = nullptr;
    explicit operator bool() const { return wake != nullptr; }
  };

  explicit Readiness(asio::execution_context& context);
  ~Readiness() override;
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  // One watched socket. Registration is lazy: nothing is asked of the kernel until the
  // first wait.
  class Watch {
   public:
    Watch(const asio::any_io_executor& executor, int fd);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;

    // Completes when the socket has something to read (data, end of stream or an error),
    // or with operation_aborted when the waiting coroutine is cancelled. One read wait at
    // a time.
    // may_park: after a tick of waiting it may complete with kParkRequest instead.
    template <typename Token>
    auto readable(Token&& token, bool may_park = false) {
      return asio::async_initiate<Token, void(error_code)>(
          [this, may_park](auto handler) { owner_->start_wait(key_, kRead, std::move(handler), may_park); }, token);
    }
    // The same for room to write (or an error). One write wait at a time.
    template <typename Token>
    auto writable(Token&& token) {
      return asio::async_initiate<Token, void(error_code)>(
          [this](auto handler) { owner_->start_wait(key_, kWrite, std::move(handler), false); }, token);
    }
    // Parks a reader: sleeper is woken when the socket is readable (no read wait may be
    // pending). take_sleeper() takes it back unwoken.
    void sleep(Sleeper sleeper) { owner_->sleep(key_, std::move(sleeper)); }
    Sleeper take_sleeper() { return owner_->take_sleeper(key_); }

   private:
    Readiness* owner_;
    uint64_t key_;
  };

 private:
  // The completion handler of `co_await watch.readable(use_nothrow)` in an Asio awaitable
  // coroutine, the only way proxy/ waits. Kept as it is, with no type erasure: no
  // allocation per wait, and its cancellation slot is the caller's own.
  using Handler =
      asio::detail::as_tuple_handler<asio::detail::awaitable_handler<Executor, std::tuple<error_code>>>;
  using Waiter = std::optional<Handler>;  // filled with emplace(), emptied with take()
  static constexpr int kRead = 0;
  static constexpr int kWrite = 1;
  class ReadyOp;
  struct Slot {
    int fd = -1;
    uint32_t generation = 0;
    uint32_t events = 0;  // what the epoll set is asked to report for fd; 0: not in the set
    uint32_t read_since = 0;  // the tick its read wait began
    bool parkable = false;    // that wait may be asked to park
    Waiter waiters[2];        // kRead, kWrite
    Sleeper sleeper;          // a parked reader, instead of waiters[kRead]
    std::unique_ptr<ReadyOp> op;  // the socket's event data in the epoll set
  };
  struct CancelWait {
    Readiness* owner;
    uint64_t key;
    int kind;
    void operator()(asio::cancellation_type type) const;
  };

  void shutdown() override;
  uint64_t add(const asio::any_io_executor& executor, int fd);
  void remove(uint64_t key);
  Slot* find(uint64_t key);
  template <typename H>
  void start_wait(uint64_t key, int kind, H handler, bool may_park) {
    static_assert(std::is_same_v<H, Handler>, "Readiness waits are co_awaited with use_nothrow");
    auto cancellation = asio::get_associated_cancellation_slot(handler);
    if (cancellation.is_connected()) cancellation.template emplace<CancelWait>(CancelWait{this, key, kind});
    wait(key, kind, std::move(handler), may_park);
  }
  static Waiter take(Waiter& waiter) {
    Waiter out;
    if (waiter) out.emplace(std::move(*waiter));
    waiter.reset();
    return out;
  }
  void wait(uint64_t key, int kind, Handler handler, bool may_park);
  void cancel(uint64_t key, int kind);
  void sleep(uint64_t key, Sleeper sleeper);
  Sleeper take_sleeper(uint64_t key);
  // Every kParkTick while sockets are watched: asks read waits older than a tick to park.
  void schedule_tick();
  void tick();
  error_code ask(Slot& slot, uint64_t key, uint32_t events);
  void fail(Handler handler, error_code ec);
  void on_events(uint32_t index, uint32_t got);

  // Asio's scheduler and reactor of this io_context, created before this service (so that
  // they are shut down after it), and the reactor's epoll set (Asio's; never closed here).
  asio::detail::scheduler& scheduler_;
  asio::detail::reactor& reactor_;
  int set_fd_ = -1;
  std::optional<asio::any_io_executor> executor_;  // where failed waits complete
  std::optional<asio::steady_timer> ticker_;
  bool ticking_ = false;
  uint32_t tick_ = 0;
  bool shut_down_ = false;
  std::vector<Slot> slots_;
  // Operations of removed sockets, freed two ticks later: one may still be queued in the
  // scheduler with an event the reactor took before the socket went.
  std::vector<std::unique_ptr<ReadyOp>> retired_[2];
  std::vector<uint32_t> free_;
};

}  // namespace blueshift::proxy

#include "proxy/readiness.h"
#include "proxy/block_pool.h"

#include <cerrno>
#include <memory>
#include <system_error>
#include <type_traits>
#include <utility>

#include <unistd.h>

namespace blueshift::proxy {

namespace {
static_assert(BOOST_VERSION / 100 == 1081,
              "Readiness relies on Asio 1.81's epoll reactor internals: check them again (readiness.h)");
static_assert(std::is_same_v<asio::detail::reactor, asio::detail::epoll_reactor>, "Readiness needs the epoll reactor");

uint32_t index_of(uint64_t key) { return static_cast<uint32_t>(key); }
uint32_t generation_of(uint64_t key) { return static_cast<uint32_t>(key >> 32); }

// The reactor's epoll descriptor is private; an explicit instantiation may name a private
// member, and this one hands out a pointer to it.
struct EpollFdOf {
  using type = int asio::detail::epoll_reactor::*;
  friend type member(EpollFdOf);
};
template <typename Tag, typename Tag::type Member>
struct Expose {
  friend typename Tag::type member(Tag) { return Member; }
};
template struct Expose<EpollFdOf, &asio::detail::epoll_reactor::epoll_fd_>;
}  // namespace

asio::execution_context::id Readiness::id;

// A watched socket's event data in Asio's epoll set. The reactor queues it with the events
// it got (it reads and writes only the scheduler_operation part, as it does for its own
// descriptor state); the scheduler then runs it. It never completes anything of Asio's, so
// it makes up for the work the scheduler counts off after each operation, as Asio's own
// descriptor state does when none of its operations completed.
class Readiness::ReadyOp : public asio::detail::scheduler_operation {
 public:
  ReadyOp(Readiness* owner, uint32_t index) : scheduler_operation(&ReadyOp::run), owner_(owner), index_(index) {}
  void retire() { owner_ = nullptr; }
  // Two a session, as long as it lives: kept apart from short-lived allocations (block_pool.h).
  static void* operator new(size_t size) { return size == sizeof(ReadyOp) ? pool().take() : ::operator new(size); }
  static void operator delete(void* p, size_t size) {
    if (size == sizeof(ReadyOp)) pool().give(p);
    else ::operator delete(p);
  }

 private:
  static BlockPool& pool() {
    static BlockPool* instance = new BlockPool(sizeof(ReadyOp));  // never destroyed: ops may outlive statics
    return *instance;
  }
  static void run(void* scheduler, scheduler_operation* base, const error_code&, std::size_t events) {
    if (scheduler == nullptr) return;  // destroyed with the scheduler's queue; owned by Readiness
    static_cast<asio::detail::scheduler*>(scheduler)->compensating_work_started();
    auto* op = static_cast<ReadyOp*>(base);
    if (op->owner_ != nullptr) op->owner_->on_events(op->index_, static_cast<uint32_t>(events));
  }
  Readiness* owner_;  // null once its socket is gone
  uint32_t index_;
};

Readiness::Readiness(asio::execution_context& context)
    : asio::execution_context::service(context),
      scheduler_(asio::use_service<asio::detail::scheduler>(context)),
      reactor_(asio::use_service<asio::detail::reactor>(context)) {}

Readiness::~Readiness() = default;

Readiness::Watch::Watch(const asio::any_io_executor& executor, int fd)
    : owner_(&asio::use_service<Readiness>(asio::query(executor, asio::execution::context))),
      key_(owner_->add(executor, fd)) {}

Readiness::Watch::~Watch() { owner_->remove(key_); }

void Readiness::CancelWait::operator()(asio::cancellation_type) const { owner->cancel(key, kind); }

uint64_t Readiness::add(const asio::any_io_executor& executor, int fd) {
  if (set_fd_ < 0) {
    set_fd_ = reactor_.*member(EpollFdOf{});
    executor_.emplace(executor);
    ticker_.emplace(executor);
  }
  if (!ticking_) schedule_tick();
  uint32_t index;
  if (free_.empty()) {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  } else {
    index = free_.back();
    free_.pop_back();
  }
  Slot& slot = slots_[index];
  slot.fd = fd;
  slot.events = 0;
  slot.op = std::make_unique<ReadyOp>(this, index);
  return (static_cast<uint64_t>(slot.generation) << 32) | index;
}

Readiness::Slot* Readiness::find(uint64_t key) {
  const uint32_t index = index_of(key);
  if (index >= slots_.size()) return nullptr;
  Slot& slot = slots_[index];
  return slot.fd >= 0 && slot.generation == generation_of(key) ? &slot : nullptr;
}

void Readiness::remove(uint64_t key) {
  Slot* slot = find(key);
  if (!slot) return;
  if (slot->events && !shut_down_) ::epoll_ctl(set_fd_, EPOLL_CTL_DEL, slot->fd, nullptr);
  for (Waiter& waiter : slot->waiters) {
    if (waiter) fail(std::move(*take(waiter)), asio::error::operation_aborted);
  }
  if (slot->sleeper && !shut_down_) {
    // Posted: waking may drop the last reference to what owns this watch.
    asio::post(*executor_, [sleeper = std::exchange(slot->sleeper, {})] {
      sleeper.wake(sleeper.target, asio::error::operation_aborted);
    });
  }
  slot->fd = -1;
  slot->events = 0;
  slot->op->retire();
  retired_[0].push_back(std::move(slot->op));
  ++slot->generation;  // stale keys (a late cancel) now find nothing
  free_.push_back(index_of(key));
}

// Asks the epoll set to report events for slot's socket (none: out of the set).
error_code Readiness::ask(Slot& slot, uint64_t key, uint32_t events) {
  if (events == slot.events) return {};
  epoll_event event{};
  event.events = events;
  event.data.ptr = slot.op.get();
  const int op = slot.events == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
  if (::epoll_ctl(set_fd_, op, slot.fd, &event) != 0) return error_code(errno, asio::error::get_system_category());
  slot.events = events;
  return {};
}

void Readiness::wait(uint64_t key, int kind, Handler handler, bool may_park) {
  Slot* slot = find(key);
  if (!slot || shut_down_) return fail(std::move(handler), asio::error::bad_descriptor);
  if (slot->waiters[kind]) return fail(std::move(handler), asio::error::already_started);
  // Read interest stays once asked for: a pump that read waits again right after it has
  // forwarded, and the set is not touched in between. Write interest is asked for per
  // wait (writes wait only when a peer is slow).
  const uint32_t wanted = kind == kRead ? EPOLLIN | EPOLLRDHUP : EPOLLOUT;
  if (auto ec = ask(*slot, key, slot->events | wanted)) return fail(std::move(handler), ec);
  slot->waiters[kind].emplace(std::move(handler));
  if (kind == kRead) {
    slot->read_since = tick_;
    slot->parkable = may_park;
  }
}

void Readiness::sleep(uint64_t key, Sleeper sleeper) {
  Slot* slot = find(key);
  // Gone already (or shutting down): the wake's abort says so, as remove() would.
  if (!slot || shut_down_ || ask(*slot, key, slot->events | EPOLLIN | EPOLLRDHUP)) {
    if (!shut_down_ && executor_)
      asio::post(*executor_, [sleeper = std::move(sleeper)] { sleeper.wake(sleeper.target, asio::error::operation_aborted); });
    return;
  }
  slot->sleeper = std::move(sleeper);
}

Readiness::Sleeper Readiness::take_sleeper(uint64_t key) {
  Slot* slot = find(key);
  return slot ? std::exchange(slot->sleeper, {}) : Sleeper{};
}

void Readiness::schedule_tick() {
  ticking_ = true;
  ticker_->expires_after(kParkTick);
  ticker_->async_wait([this](error_code ec) {
    if (ec || shut_down_) return;
    tick();
  });
}

void Readiness::tick() {
  ++tick_;
  // Two ticks apart, a reactor run has come between: no retired operation is queued still.
  retired_[1].clear();
  std::swap(retired_[0], retired_[1]);
  bool watching = false;
  for (Slot& slot : slots_) {
    if (slot.fd < 0) continue;
    watching = true;
    // Began before the previous tick: it has waited a whole tick at least.
    if (slot.parkable && slot.waiters[kRead] && tick_ - slot.read_since >= 2) {
      slot.parkable = false;
      fail(std::move(*take(slot.waiters[kRead])), kParkRequest);
    }
  }
  ticking_ = false;
  if (watching) schedule_tick();
}

void Readiness::cancel(uint64_t key, int kind) {
  Slot* slot = find(key);
  if (!slot || !slot->waiters[kind]) return;
  fail(std::move(*take(slot->waiters[kind])), asio::error::operation_aborted);
}

// Completes a wait that did not see readiness. Posted, never run in place: the caller may
// be the cancellation signal itself, or the wait's own initiation.
void Readiness::fail(Handler handler, error_code ec) {
  if (shut_down_ || !executor_) return;  // destroyed with the other pending work
  asio::post(*executor_, [handler = std::move(handler), ec]() mutable {
    asio::get_associated_cancellation_slot(handler).clear();
    std::move(handler)(ec);
  });
}

// The events the reactor got for the socket in slot `index`. Level-triggered: whatever is
// left unread (data, an end of stream) is reported again at the reactor's next wait.
void Readiness::on_events(uint32_t index, uint32_t got) {
  if (shut_down_) return;
  Slot& slot = slots_[index];
  const uint64_t key = (static_cast<uint64_t>(slot.generation) << 32) | index;
  // Errors and hang-ups wake both kinds of waiter: their next call reports the error.
  const bool readable = got & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP);
  const bool writable = got & (EPOLLOUT | EPOLLERR | EPOLLHUP);
  const bool wake_writer = writable && slot.waiters[kWrite];
  const bool wake_sleeper = readable && !slot.waiters[kRead] && slot.sleeper;
  const bool wake_reader = (readable && slot.waiters[kRead]) || wake_sleeper;
  uint32_t keep = slot.events;
  if (writable) keep &= ~EPOLLOUT;  // write interest is asked for per wait
  // Readable with nobody reading (its pump waits for room to write): stop asking until
  // someone reads again, or the socket would be reported at every wait.
  if (readable && !wake_reader) keep &= ~(EPOLLIN | EPOLLRDHUP);
  Waiter writer = wake_writer ? take(slot.waiters[kWrite]) : Waiter();
  Waiter reader = wake_reader && !wake_sleeper ? take(slot.waiters[kRead]) : Waiter();
  const Sleeper sleeper = wake_sleeper ? std::exchange(slot.sleeper, {}) : Sleeper{};
  (void)ask(slot, key, keep);  // on failure the interest stays as it was: reported again
  if (sleeper) sleeper.wake(sleeper.target, error_code{});  // starts its reader again
  // Both resumed even if the first ends the session: the other finds its stream closed.
  for (Waiter* waiter : {&reader, &writer}) {
    if (!*waiter) continue;
    asio::get_associated_cancellation_slot(**waiter).clear();
    std::move(**waiter)(error_code{});  // resumes the waiting coroutine here and now
  }
}

void Readiness::shutdown() {
  shut_down_ = true;
  // Waiting coroutines are destroyed with the rest of the io_context's pending work.
  std::vector<Waiter> pending;
  std::vector<Sleeper> sleepers;  // dropped after the loop: that may end what owns other slots
  pending.reserve(2 * slots_.size());
  for (Slot& slot : slots_) {
    for (Waiter& waiter : slot.waiters) pending.push_back(take(waiter));
    if (slot.sleeper) sleepers.push_back(std::exchange(slot.sleeper, {}));
  }
  pending.clear();
  sleepers.clear();
  ticker_.reset();  // its service is shut down already, and destroyed before this one
  // The sockets stay in the reactor's set, which is closed with the reactor; retired
  // operations may still be queued, and are freed with this service, after the scheduler's
  // shutdown has dropped its queue.
}

}  // namespace blueshift::proxy

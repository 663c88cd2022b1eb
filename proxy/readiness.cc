#include "proxy/readiness.h"

#include <cerrno>
#include <memory>
#include <system_error>
#include <utility>

#include <unistd.h>

namespace blueshift::proxy {

namespace {
// Taken per epoll_wait; a harvest that fills the array harvests again at once.
constexpr int kMaxEvents = 64;
// Harvests per readiness report of the set before the rest is posted (harvest_all).
constexpr int kMaxRounds = 8;

uint32_t index_of(uint64_t key) { return static_cast<uint32_t>(key); }
uint32_t generation_of(uint64_t key) { return static_cast<uint32_t>(key >> 32); }
}  // namespace

asio::execution_context::id Readiness::id;

// Harvests whenever Asio reports the set readable, and never completes: it stays queued on
// the set's descriptor until the set is deregistered, which destroys it (owner null).
class Readiness::HarvestOp : public asio::detail::reactor_op {
 public:
  explicit HarvestOp(Readiness* owner) : reactor_op(error_code(), &HarvestOp::perform, &HarvestOp::destroy), owner_(owner) {}

 private:
  static status perform(asio::detail::reactor_op* base) {
    static_cast<HarvestOp*>(base)->owner_->harvest_all();
    return not_done;
  }
  static void destroy(void*, asio::detail::scheduler_operation* base, const error_code&, std::size_t) {
    delete static_cast<HarvestOp*>(base);
  }
  Readiness* owner_;
};

Readiness::Readiness(asio::execution_context& context)
    : asio::execution_context::service(context), reactor_(asio::use_service<asio::detail::reactor>(context)) {}

Readiness::~Readiness() = default;

Readiness::Watch::Watch(const asio::any_io_executor& executor, int fd)
    : owner_(&asio::use_service<Readiness>(asio::query(executor, asio::execution::context))),
      key_(owner_->add(executor, fd)) {}

Readiness::Watch::~Watch() { owner_->remove(key_); }

void Readiness::CancelWait::operator()(asio::cancellation_type) const { owner->cancel(key, kind); }

uint64_t Readiness::add(const asio::any_io_executor& executor, int fd) {
  if (set_fd_ < 0) {
    const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
    auto op = std::make_unique<HarvestOp>(this);
    if (const int err = reactor_.register_internal_descriptor(asio::detail::reactor::read_op, epoll_fd, reactor_data_, op.get())) {
      // The reactor took the operation whether or not epoll_ctl worked; deregistering frees it.
      op.release();
      reactor_.deregister_internal_descriptor(epoll_fd, reactor_data_);
      reactor_.cleanup_descriptor_data(reactor_data_);
      ::close(epoll_fd);
      throw std::system_error(err, std::system_category(), "registering the readiness set");
    }
    op.release();
    set_fd_ = epoll_fd;
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
  ++slot->generation;  // stale keys (a harvested event, a late cancel) now find nothing
  free_.push_back(index_of(key));
}

// Asks the epoll set to report events for slot's socket (none: out of the set).
error_code Readiness::ask(Slot& slot, uint64_t key, uint32_t events) {
  if (events == slot.events) return {};
  epoll_event event{};
  event.events = events;
  event.data.u64 = key;
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

// Harvests until no event can be left that a new edge would not report: a full harvest
// may have left events behind, and a socket whose peer has closed (or failed) stays
// readable after its reader took the last bytes, with nothing new to raise an edge. The
// reader it woke either takes the end of stream at the next harvest or is no longer
// waiting, and then the socket is no longer asked about. Bounded, so that the rest of the
// io_context's work is not held up; the remainder is posted.
void Readiness::harvest_all() {
  for (int round = 0; round < kMaxRounds; ++round) {
    if (shut_down_) return;
    again_ = false;
    if (harvest() < kMaxEvents && !again_) return;
  }
  asio::post(*executor_, [this] { harvest_all(); });
}

// One epoll_wait on the set; the number of events it returned.
int Readiness::harvest() {
  epoll_event events[kMaxEvents];
  const int n = ::epoll_wait(set_fd_, events, kMaxEvents, 0);
  for (int i = 0; i < n; ++i) {
    // Looked up afresh each time: a coroutine resumed below may end its session and
    // remove sockets that are further down this list.
    const uint64_t key = events[i].data.u64;
    Slot* slot = find(key);
    if (!slot) continue;
    const uint32_t got = events[i].events;
    // Errors and hang-ups wake both kinds of waiter: their next call reports the error.
    const bool readable = got & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP);
    const bool writable = got & (EPOLLOUT | EPOLLERR | EPOLLHUP);
    const bool wake_writer = writable && slot->waiters[kWrite];
    const bool wake_sleeper = readable && !slot->waiters[kRead] && slot->sleeper;
    const bool wake_reader = (readable && slot->waiters[kRead]) || wake_sleeper;
    if (wake_reader && (got & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))) again_ = true;
    uint32_t keep = slot->events;
    if (writable) keep &= ~EPOLLOUT;  // write interest is asked for per wait
    // Readable with nobody reading (its pump waits for room to write): stop asking until
    // someone reads again, or the socket would be reported at every harvest.
    if (readable && !wake_reader) keep &= ~(EPOLLIN | EPOLLRDHUP);
    Waiter writer = wake_writer ? take(slot->waiters[kWrite]) : Waiter();
    Waiter reader = wake_reader && !wake_sleeper ? take(slot->waiters[kRead]) : Waiter();
    const Sleeper sleeper = wake_sleeper ? std::exchange(slot->sleeper, {}) : Sleeper{};
    (void)ask(*slot, key, keep);  // on failure the interest stays as it was: reported again
    if (sleeper) sleeper.wake(sleeper.target, error_code{});  // starts its reader again
    // Both resumed even if the first ends the session: the other finds its stream closed.
    for (Waiter* waiter : {&reader, &writer}) {
      if (!*waiter) continue;
      asio::get_associated_cancellation_slot(**waiter).clear();
      std::move(**waiter)(error_code{});  // resumes the waiting coroutine here and now
    }
  }
  return n;
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
  // Out of the reactor while it still runs (it was created before this service, so it is
  // shut down after it); deregistering destroys the harvest operation.
  if (set_fd_ >= 0) {
    reactor_.deregister_internal_descriptor(set_fd_, reactor_data_);
    reactor_.cleanup_descriptor_data(reactor_data_);
    ::close(set_fd_);
    set_fd_ = -1;
  }
}

}  // namespace blueshift::proxy

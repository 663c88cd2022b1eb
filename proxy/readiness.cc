#include "proxy/readiness.h"

#include <cerrno>
#include <system_error>

namespace blueshift::proxy {

namespace {
// Harvested per epoll_wait; more ready sockets are taken at the next harvest, which the
// re-arm makes immediate.
constexpr int kMaxEvents = 64;

uint32_t index_of(uint64_t key) { return static_cast<uint32_t>(key); }
uint32_t generation_of(uint64_t key) { return static_cast<uint32_t>(key >> 32); }
}  // namespace

asio::execution_context::id Readiness::id;

Readiness::Readiness(asio::execution_context& context) : asio::execution_context::service(context) {}

Readiness::~Readiness() = default;

Readiness::Watch::Watch(const asio::any_io_executor& executor, int fd)
    : owner_(&asio::use_service<Readiness>(asio::query(executor, asio::execution::context))),
      key_(owner_->add(executor, fd)) {}

Readiness::Watch::~Watch() { owner_->remove(key_); }

void Readiness::CancelWait::operator()(asio::cancellation_type) const { owner->cancel(key, kind); }

uint64_t Readiness::add(const asio::any_io_executor& executor, int fd) {
  if (!set_) {
    const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (epoll_fd < 0) throw std::system_error(errno, std::system_category(), "epoll_create1");
    set_.emplace(executor, epoll_fd);
  }
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
  if (slot->events && !shut_down_) ::epoll_ctl(set_->native_handle(), EPOLL_CTL_DEL, slot->fd, nullptr);
  for (Waiter& waiter : slot->waiters) {
    if (waiter) fail(std::move(*take(waiter)), asio::error::operation_aborted);
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
  if (::epoll_ctl(set_->native_handle(), op, slot.fd, &event) != 0) return error_code(errno, asio::error::get_system_category());
  slot.events = events;
  return {};
}

void Readiness::wait(uint64_t key, int kind, Handler handler) {
  Slot* slot = find(key);
  if (!slot || shut_down_) return fail(std::move(handler), asio::error::bad_descriptor);
  if (slot->waiters[kind]) return fail(std::move(handler), asio::error::already_started);
  // Read interest stays once asked for: a pump that read waits again right after it has
  // forwarded, and the set is not touched in between. Write interest is asked for per
  // wait (writes wait only when a peer is slow).
  const uint32_t wanted = kind == kRead ? EPOLLIN | EPOLLRDHUP : EPOLLOUT;
  if (auto ec = ask(*slot, key, slot->events | wanted)) return fail(std::move(handler), ec);
  slot->waiters[kind].emplace(std::move(handler));
  arm();
}

void Readiness::cancel(uint64_t key, int kind) {
  Slot* slot = find(key);
  if (!slot || !slot->waiters[kind]) return;
  fail(std::move(*take(slot->waiters[kind])), asio::error::operation_aborted);
}

// Completes a wait that did not see readiness. Posted, never run in place: the caller may
// be the cancellation signal itself, or the wait's own initiation.
void Readiness::fail(Handler handler, error_code ec) {
  if (shut_down_ || !set_) return;  // destroyed with the other pending work
  asio::post(set_->get_executor(), [handler = std::move(handler), ec]() mutable {
    asio::get_associated_cancellation_slot(handler).clear();
    std::move(handler)(ec);
  });
}

void Readiness::arm() {
  if (armed_ || shut_down_ || !set_) return;
  armed_ = true;
  set_->async_wait(asio::posix::descriptor_base::wait_read, [this](error_code ec) {
    armed_ = false;
    if (ec || shut_down_) return;
    harvest();
    arm();
  });
}

void Readiness::harvest() {
  epoll_event events[kMaxEvents];
  const int n = ::epoll_wait(set_->native_handle(), events, kMaxEvents, 0);
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
    const bool wake_reader = readable && slot->waiters[kRead];
    uint32_t keep = slot->events;
    if (writable) keep &= ~EPOLLOUT;  // write interest is asked for per wait
    // Readable with nobody reading (its pump waits for room to write): stop asking until
    // someone reads again, or the socket would be reported at every harvest.
    if (readable && !wake_reader) keep &= ~(EPOLLIN | EPOLLRDHUP);
    Waiter writer = wake_writer ? take(slot->waiters[kWrite]) : Waiter();
    Waiter reader = wake_reader ? take(slot->waiters[kRead]) : Waiter();
    (void)ask(*slot, key, keep);  // on failure the interest stays as it was: reported again
    // Both resumed even if the first ends the session: the other finds its stream closed.
    for (Waiter* waiter : {&reader, &writer}) {
      if (!*waiter) continue;
      asio::get_associated_cancellation_slot(**waiter).clear();
      std::move(**waiter)(error_code{});  // resumes the waiting coroutine here and now
    }
  }
}

void Readiness::shutdown() {
  shut_down_ = true;
  // Waiting coroutines are destroyed with the rest of the io_context's pending work.
  std::vector<Waiter> pending;
  pending.reserve(2 * slots_.size());
  for (Slot& slot : slots_) {
    for (Waiter& waiter : slot.waiters) pending.push_back(take(waiter));
  }
  pending.clear();
  // Gone before the services are destroyed: Asio's descriptor service, which the set's
  // descriptor refers to, was created after this one and is destroyed before it.
  if (set_) {
    error_code ignored;
    set_->close(ignored);
    set_.reset();
  }
}

}  // namespace blueshift::proxy

// Blocking or long work a session waits for (group lookups over libpq, the analysis of a
// long governed text), run on a pool so that the session's I/O thread goes on with its
// other sessions, and resumed on the session's own executor.
//
// Not `co_await co_spawn(pool, ...)`: in Boost 1.81 the cancellation handler co_spawn puts
// in the awaiting coroutine's slot forwards a cancellation to the pool by dispatching
// `sig->emit()` with a raw pointer to a signal that the completion destroys (Asio issue
// #1332). A session whose other task ended (stops_[i].emit) during an offloaded analysis
// had that emit run on a pool thread after, or while, the I/O thread freed the signal:
// the double free seen about one run in eight. Here the pool only ever sees the task and
// the handler, never the coroutine's cancellation slot: the wait cannot be cancelled, and
// the session's stop is seen once the task is done.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "proxy/asio.h"

namespace blueshift::proxy {

// Runs task() on pool and returns its result on home's thread. The task owns everything
// it reads (copies, shared_ptrs to immutable or thread-safe state): nothing of the
// session. An exception from the task is rethrown in the awaiting coroutine.
//
// A plain function returning the operation's awaitable. Callers name the task and the
// awaitable (`auto a = run_off_thread(...); co_await std::move(a);`): with a lambda
// temporary inside the co_await expression, GCC 12 freed its captures twice (a string at a
// group lookup: "munmap_chunk(): invalid pointer"; a budget charge: garbage at admit).
template <typename Task>
auto run_off_thread(asio::thread_pool& pool, Executor home, Task task) {
  using Result = std::invoke_result_t<Task&>;
  static_assert(std::is_default_constructible_v<Result>, "the result travels in a completion handler");
  auto initiate = [pool = &pool, home](auto handler, Task task) {
    asio::post(*pool, [handler = std::move(handler), task = std::move(task), work = asio::make_work_guard(home)]() mutable {
      std::exception_ptr error;
      Result result{};
      try {
        result = task();
      } catch (...) {
        error = std::current_exception();
      }
      // Back on the session's thread before the handler (the session's coroutine) runs.
      const Executor to = work.get_executor();
      asio::post(to, [handler = std::move(handler), error, result = std::move(result)]() mutable {
        std::move(handler)(error, std::move(result));
      });
    });
  };
  // use_awaitable rethrows a non-null exception_ptr in the awaiting coroutine.
  return asio::async_initiate<const asio::use_awaitable_t<Executor>, void(std::exception_ptr, Result)>(
      std::move(initiate), asio::use_awaitable_t<Executor>(), std::move(task));
}

}  // namespace blueshift::proxy

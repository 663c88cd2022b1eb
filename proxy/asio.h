// The Boost.Asio pieces proxy/ uses, in one place (Asio headers stay inside proxy/).
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>

namespace blueshift::proxy {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// What every proxy/ coroutine runs on: an I/O thread's io_context. Named concretely, not as
// any_io_executor (56 bytes, type-erased): coroutine frames, co_spawn's entry frames and
// their work guards each hold copies, and an idle session keeps those frames.
using Executor = asio::io_context::executor_type;
template <typename T>
using awaitable = asio::awaitable<T, Executor>;

// Completion token that reports errors as values: proxy/ works with error codes, not
// exceptions, on peer I/O.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable_t<Executor>());

}  // namespace blueshift::proxy

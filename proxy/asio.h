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

// What every proxy/ coroutine runs on: an I/O thread's io_context.
using Executor = asio::any_io_executor;
template <typename T>
using awaitable = asio::awaitable<T, Executor>;

// Completion token that reports errors as values: proxy/ works with error codes, not
// exceptions, on peer I/O.
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable_t<Executor>());

}  // namespace blueshift::proxy

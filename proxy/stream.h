// A connection that is plain TCP or TLS over TCP, chosen at run time (after an
// SSLRequest). One code path for both, as in Boost Beast's flex examples.
#pragma once

#include <memory>
#include <string>
#include <variant>

#include "proxy/asio.h"
#include "proxy/buffer.h"

namespace blueshift::proxy {

class Stream {
 public:
  explicit Stream(tcp::socket socket) : socket_(std::move(socket)) {
    // Reads after a readiness wait must never block the event loop.
    error_code ignored;
    socket_.non_blocking(true, ignored);
  }

  [[nodiscard]] bool is_tls() const { return tls_ != nullptr; }
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : socket_; }

  awaitable<std::tuple<error_code, size_t>> read_some(asio::mutable_buffer buffer) {
    if (tls_) co_return co_await tls_->async_read_some(buffer, use_nothrow);
    co_return co_await socket_.async_read_some(buffer, use_nothrow);
  }

  // Reads at least one byte into buffer, making room for min_free bytes first.
  //
  // When the caller knows the peer has nothing more to say for now (a request was just
  // forwarded whole, or every reply has arrived), quiet is true: on plain TCP the read then
  // waits for readiness before taking memory, so an idle session holds no read buffer at
  // all. A speculative read would cost the same one syscall (a failed recv instead of
  // Asio's epoll re-arm) but needs the buffer up front, so busy streams (results, COPY)
  // keep reading speculatively. (Neither can be skipped safely after a short read: a FIN
  // or RST that arrived with the last bytes raises no new edge-triggered event, and a
  // session that waited for one would never see its peer leave.)
  awaitable<std::tuple<error_code, size_t>> read_into(Buffer& buffer, size_t min_free, bool quiet) {
    if (quiet && !tls_ && buffer.size() == 0) {
      buffer.release();
      for (;;) {
        auto [wec] = co_await socket_.async_wait(tcp::socket::wait_read, use_nothrow);
        if (wec) co_return std::tuple<error_code, size_t>{wec, 0};
        auto space = buffer.writable(min_free);
        error_code ec;
        const size_t n = socket_.read_some(asio::buffer(space), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
        if (!ec) buffer.commit(n);
        co_return std::tuple<error_code, size_t>{ec, n};
      }
    }
    auto space = buffer.writable(min_free);
    auto [ec, n] = tls_ ? co_await tls_->async_read_some(asio::buffer(space), use_nothrow)
                        : co_await socket_.async_read_some(asio::buffer(space), use_nothrow);
    if (!ec) buffer.commit(n);
    co_return std::tuple<error_code, size_t>{ec, n};
  }

  // Writes all of buffer. On plain TCP the first attempt is a direct non-blocking send: a
  // forwarded request or reply nearly always fits in the socket buffer, and then the
  // session goes on without a trip through the event loop (Asio would post the completion
  // of even an immediate send). Only what did not fit waits for writability.
  awaitable<std::tuple<error_code, size_t>> write(asio::const_buffer buffer) {
    if (tls_) co_return co_await asio::async_write(*tls_, buffer, use_nothrow);
    error_code ec;
    const size_t sent = buffer.size() == 0 ? 0 : socket_.write_some(buffer, ec);
    if (!ec && sent == buffer.size()) co_return std::tuple<error_code, size_t>{ec, sent};
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      co_return std::tuple<error_code, size_t>{ec, sent};
    }
    auto [wec, rest] = co_await asio::async_write(socket_, buffer + sent, use_nothrow);
    co_return std::tuple<error_code, size_t>{wec, sent + rest};
  }

  // Server side of TLS (the proxy terminating a client's TLS).
  awaitable<error_code> accept_tls(ssl::context& context) {
    tls_ = std::make_unique<ssl::stream<tcp::socket>>(std::move(socket_), context);
    auto [ec] = co_await tls_->async_handshake(ssl::stream_base::server, use_nothrow);
    co_return ec;
  }

  // Client side of TLS (the proxy connecting to the upstream). server_name, when not
  // empty, is sent as SNI and checked against the certificate (verify-full).
  awaitable<error_code> connect_tls(ssl::context& context, const std::string& server_name, bool verify) {
    tls_ = std::make_unique<ssl::stream<tcp::socket>>(std::move(socket_), context);
    if (!server_name.empty()) {
      SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
      if (verify) tls_->set_verify_callback(ssl::host_name_verification(server_name));
    }
    tls_->set_verify_mode(verify ? ssl::verify_peer : ssl::verify_none);
    auto [ec] = co_await tls_->async_handshake(ssl::stream_base::client, use_nothrow);
    co_return ec;
  }

  void close() {
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  tcp::socket socket_;
  std::unique_ptr<ssl::stream<tcp::socket>> tls_;
};

}  // namespace blueshift::proxy

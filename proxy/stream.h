// A connection that is plain TCP or TLS over TCP, chosen at run time (after an
// SSLRequest). One code path for both, as in Boost Beast's flex examples.
//
// Once a session is logged in, a plain TCP stream is "watched" (watch()): it leaves Asio's
// edge-triggered reactor and is served by the I/O thread's level-triggered epoll set
// (proxy/readiness.h), read and written with plain recv/send on its descriptor. TLS streams
// stay on Asio throughout.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>
#include <string>

#include "proxy/asio.h"
#include "proxy/buffer.h"
#include "proxy/readiness.h"

namespace blueshift::proxy {

class Stream {
 public:
  static constexpr long kMaxTlsRecordPlaintext = 8192;  // PostgreSQL's PQ_SEND_BUFFER_SIZE

  explicit Stream(tcp::socket socket) : socket_(std::make_unique<tcp::socket>(std::move(socket))) {
    // Reads after a readiness wait must never block the event loop.
    error_code ignored;
    socket_->non_blocking(true, ignored);
  }
  ~Stream() { close(); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  [[nodiscard]] bool is_tls() const { return tls_ != nullptr; }
  // The Asio socket, for the login phase (before watch()).
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : *socket_; }

  // Moves a plain TCP stream to the level-triggered set: a short read is then followed by
  // a wait, with no failed recv or epoll re-arm in between, and each arrival wakes one
  // epoll set instead of two. Call with no operation pending on the stream. When the set
  // cannot be had (out of descriptors), the stream stays on Asio.
  void watch() {
    if (tls_ || watch_ || !socket_ || !socket_->is_open()) return;
    try {
      watch_.emplace(socket_->get_executor(), socket_->native_handle());
    } catch (const std::exception&) {
      return;
    }
    error_code ec;
    const int fd = socket_->release(ec);  // leaves Asio's reactor, keeps the descriptor open
    if (ec) {
      watch_.reset();
      return;
    }
    fd_ = fd;
    socket_.reset();  // 88 bytes an idle session no longer needs
  }
  [[nodiscard]] bool watched() const { return fd_ >= 0; }

  awaitable<std::tuple<error_code, size_t>> read_some(asio::mutable_buffer buffer) {
    if (tls_) co_return co_await tls_->async_read_some(buffer, use_nothrow);
    co_return co_await socket_->async_read_some(buffer, use_nothrow);
  }

  // The pumps' reads of a watched stream, in two steps so that the usual case runs no
  // coroutine of its own: read_now() takes what the socket has; when it returns false the
  // stream is drained and the caller awaits readable() before calling it again. Unwatched
  // streams always get false, and use read_into().
  //
  // quiet: the peer has nothing more to say for now (a request was just forwarded whole, or
  // every reply has arrived), so an empty buffer is given back before the wait: an idle
  // session holds no read buffer at all.
  bool read_now(Buffer& buffer, size_t min_free, bool quiet, error_code& ec, size_t& n) {
    if (fd_ < 0) return false;
    if (!drained_) {
      auto space = buffer.writable(min_free);
      const ssize_t got = ::recv(fd_, space.data(), space.size(), 0);
      if (got >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        n = got > 0 ? static_cast<size_t>(got) : 0;
        ec = got > 0 ? error_code() : got == 0 ? error_code(asio::error::eof) : last_error();
        // A read that filled the space may have left more behind: read again before waiting.
        drained_ = got > 0 && n < space.size();
        buffer.commit(n);
        return true;
      }
      drained_ = true;
    }
    if (quiet && buffer.size() == 0) buffer.release();
    return false;
  }
  // may_park: see Readiness::kParkRequest.
  auto readable(bool may_park = false) {
    drained_ = false;  // whatever the wait ends with, the next read_now() tries the socket
    return watch_->readable(use_nothrow, may_park);
  }
  // A parked reader of a watched stream (Readiness::Sleeper).
  void sleep(Readiness::Sleeper sleeper) { watch_->sleep(std::move(sleeper)); }
  Readiness::Sleeper take_sleeper() { return watch_ ? watch_->take_sleeper() : Readiness::Sleeper{}; }

  // Reads at least one byte into buffer, making room for min_free bytes first; the read of
  // unwatched streams (TLS, and the login phase).
  //
  // With quiet set (see read_now), plain TCP waits for readiness before taking memory. A
  // speculative read would cost the same one syscall (a failed recv instead of Asio's epoll
  // re-arm) but needs the buffer up front, so busy streams (results, COPY) keep reading
  // speculatively. (Under Asio's edge-triggered reactor neither can be skipped after a short
  // read: a FIN or RST that arrived with the last bytes raises no new event, and a session
  // that waited for one would never see its peer leave. Watched streams have no such cost.)
  awaitable<std::tuple<error_code, size_t>> read_into(Buffer& buffer, size_t min_free, bool quiet) {
    if (fd_ >= 0) {
      error_code ec;
      size_t n = 0;
      while (!read_now(buffer, min_free, quiet, ec, n)) {
        std::tie(ec) = co_await readable();
        if (ec) break;
      }
      co_return std::tuple<error_code, size_t>{ec, n};
    }
    if (quiet && !tls_ && buffer.size() == 0) {
      buffer.release();
      for (;;) {
        auto [wec] = co_await socket_->async_wait(tcp::socket::wait_read, use_nothrow);
        if (wec) co_return std::tuple<error_code, size_t>{wec, 0};
        auto space = buffer.writable(min_free);
        error_code ec;
        const size_t n = socket_->read_some(asio::buffer(space), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
        if (!ec) buffer.commit(n);
        co_return std::tuple<error_code, size_t>{ec, n};
      }
    }
    auto space = buffer.writable(min_free);
    auto [ec, n] = tls_ ? co_await tls_->async_read_some(asio::buffer(space), use_nothrow)
                        : co_await socket_->async_read_some(asio::buffer(space), use_nothrow);
    if (!ec) buffer.commit(n);
    co_return std::tuple<error_code, size_t>{ec, n};
  }

  // Writes what the socket takes at once, without waiting, advancing buffer past it; true
  // when that was everything (or the stream failed: ec). On plain TCP a forwarded request
  // or reply nearly always fits in the socket buffer, and then the session goes on without
  // a trip through the event loop or a coroutine of its own. TLS writes nothing here.
  bool write_now(asio::const_buffer& buffer, error_code& ec) {
    if (buffer.size() == 0) return true;
    if (tls_) return false;
    size_t sent = 0;
    if (fd_ >= 0) {
      const ssize_t put = ::send(fd_, buffer.data(), buffer.size(), MSG_NOSIGNAL);
      if (put < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return false;
        ec = last_error();
        return true;
      }
      sent = static_cast<size_t>(put);
    } else {
      sent = socket_->write_some(buffer, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec.clear();
        return false;
      }
      if (ec) return true;
    }
    buffer += sent;
    return buffer.size() == 0;
  }

  // Writes all of buffer: write_now(), then waits for room for whatever did not fit.
  awaitable<std::tuple<error_code, size_t>> write(asio::const_buffer buffer) {
    const size_t size = buffer.size();
    error_code ec;
    if (fd_ >= 0) {
      while (!write_now(buffer, ec)) {
        std::tie(ec) = co_await watch_->writable(use_nothrow);
        if (ec) break;
      }
      co_return std::tuple<error_code, size_t>{ec, size - buffer.size()};
    }
    if (write_now(buffer, ec)) co_return std::tuple<error_code, size_t>{ec, size - buffer.size()};
    if (tls_) co_return co_await asio::async_write(*tls_, buffer, use_nothrow);
    auto [wec, rest] = co_await asio::async_write(*socket_, buffer, use_nothrow);
    co_return std::tuple<error_code, size_t>{wec, size - buffer.size() + rest};
  }

  // Server side of TLS (the proxy terminating a client's TLS).
  //
  // Records carry at most kMaxTlsRecordPlaintext bytes, as PostgreSQL's (it writes from an
  // 8 KiB buffer). libpq reads with at least 8 KiB of room, often less than 16: of a larger
  // record it takes part, the rest waits decrypted inside OpenSSL where the application's
  // select() cannot see it, and a client waiting for readiness (psycopg) waits forever. The fragment limit is set on
  // the connection rather than bounding each SSL_write: the pumps keep writing large
  // buffers in one call, and every record OpenSSL builds, whatever the caller, is bounded.
  awaitable<error_code> accept_tls(ssl::context& context) {
    tls_ = std::make_unique<ssl::stream<tcp::socket>>(std::move(*socket_), context);
    socket_.reset();
    SSL_set_max_send_fragment(tls_->native_handle(), kMaxTlsRecordPlaintext);
    auto [ec] = co_await tls_->async_handshake(ssl::stream_base::server, use_nothrow);
    co_return ec;
  }

  // Client side of TLS (the proxy connecting to the upstream). server_name, when not
  // empty, is sent as SNI and checked against the certificate (verify-full).
  awaitable<error_code> connect_tls(ssl::context& context, const std::string& server_name, bool verify) {
    tls_ = std::make_unique<ssl::stream<tcp::socket>>(std::move(*socket_), context);
    socket_.reset();
    if (!server_name.empty()) {
      SSL_set_tlsext_host_name(tls_->native_handle(), server_name.c_str());
      if (verify) tls_->set_verify_callback(ssl::host_name_verification(server_name));
    }
    tls_->set_verify_mode(verify ? ssl::verify_peer : ssl::verify_none);
    auto [ec] = co_await tls_->async_handshake(ssl::stream_base::client, use_nothrow);
    co_return ec;
  }

  // Closes the connection (a waiting read or write ends with operation_aborted). Safe to
  // call more than once.
  void close() {
    watch_.reset();
    if (fd_ >= 0) {
      ::shutdown(fd_, SHUT_RDWR);
      ::close(fd_);
      fd_ = -1;
      return;
    }
    if (!tls_ && !socket_) return;
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }

 private:
  static error_code last_error() { return error_code(errno, asio::error::get_system_category()); }

  std::unique_ptr<tcp::socket> socket_;  // until watch() or TLS takes the descriptor over
  std::unique_ptr<ssl::stream<tcp::socket>> tls_;
  std::optional<Readiness::Watch> watch_;
  int fd_ = -1;           // the descriptor of a watched stream (socket_ is gone)
  bool drained_ = false;  // the last read took all there was: wait before the next one
};

}  // namespace blueshift::proxy

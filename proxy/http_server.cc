// The operations HTTP endpoint; see http_server.h.
#include "proxy/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace blueshift::proxy {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

// A scrape is one small GET; anything larger or slower is not one.
constexpr std::chrono::seconds kExchangeDeadline{10};
constexpr uint32_t kMaxHeaderBytes = 8 * 1024;
constexpr uint64_t kMaxBodyBytes = 1024;
constexpr size_t kMaxConnections = 32;
constexpr int kMaxRequestsPerConnection = 1000;

using Acceptor = tcp::acceptor::rebind_executor<Executor>::other;
using HttpStream = beast::basic_stream<tcp, Executor>;

http::response<http::string_body> response_for(const http::request<http::string_body>& request,
                                               const HttpSources& sources) {
  HttpReply reply = answer_http(request.method_string(), request.target(), sources);
  http::response<http::string_body> response{static_cast<http::status>(reply.status), request.version()};
  response.set(http::field::server, "blueshift");
  response.set(http::field::content_type, reply.content_type);
  response.set(http::field::cache_control, "no-store");
  if (!reply.allow.empty()) response.set(http::field::allow, reply.allow);
  response.keep_alive(request.keep_alive());
  const bool head = request.method() == http::verb::head;
  response.content_length(reply.body.size());
  if (!head) response.body() = std::move(reply.body);
  return response;
}

}  // namespace

struct HttpServer::State {
  explicit State(asio::io_context& loop, HttpSources s) : sources(std::move(s)), acceptor(loop.get_executor()) {}
  HttpSources sources;
  Acceptor acceptor;
  size_t open_connections = 0;
};

HttpServer::HttpServer(asio::io_context& loop, HttpSources sources)
    : loop_(loop), state_(std::make_shared<State>(loop, std::move(sources))) {}

HttpServer::~HttpServer() { stop(); }

bool HttpServer::open(const Endpoint& at) {
  error_code ec;
  tcp::resolver resolver(loop_);
  auto endpoints = resolver.resolve(at.host, std::to_string(at.port), ec);
  if (!ec && endpoints.empty()) ec = asio::error::host_not_found;
  Acceptor& acceptor = state_->acceptor;
  if (!ec) acceptor.open(endpoints.begin()->endpoint().protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoints.begin()->endpoint(), ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    spdlog::critical("cannot serve http.listen {}: {}", at.to_string(), ec.message());
    return false;
  }
  return true;
}

tcp::endpoint HttpServer::local_endpoint() const {
  error_code ignored;
  return state_->acceptor.local_endpoint(ignored);
}

void HttpServer::start() { asio::co_spawn(loop_, accept_loop(), asio::detached); }

void HttpServer::stop() {
  error_code ignored;
  state_->acceptor.close(ignored);
}

awaitable<void> HttpServer::accept_loop() {
  const std::shared_ptr<State> state = state_;  // the loop may outlive this object's stop()
  for (;;) {
    auto [ec, socket] = co_await state->acceptor.async_accept(use_nothrow);
    if (ec == asio::error::operation_aborted || !state->acceptor.is_open()) co_return;
    if (ec) {
      asio::steady_timer pause(state->acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(use_nothrow);
      continue;
    }
    if (state->open_connections >= kMaxConnections) continue;  // closed at once: the socket goes
    asio::co_spawn(state->acceptor.get_executor(), serve(state, std::move(socket)), asio::detached);
  }
}

awaitable<void> HttpServer::serve(std::shared_ptr<State> state, tcp::socket::rebind_executor<Executor>::other socket) {
  ++state->open_connections;
  HttpStream stream(std::move(socket));
  beast::flat_buffer buffer(kMaxHeaderBytes);
  for (int i = 0; i < kMaxRequestsPerConnection; ++i) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    stream.expires_after(kExchangeDeadline);
    auto [rec, rn] = co_await http::async_read(stream, buffer, parser, use_nothrow);
    if (rec) break;  // closed, timed out, or not HTTP we serve: nothing to answer
    auto response = response_for(parser.get(), state->sources);
    auto [wec, wn] = co_await http::async_write(stream, response, use_nothrow);
    if (wec || !response.keep_alive()) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  --state->open_connections;
}

}  // namespace blueshift::proxy

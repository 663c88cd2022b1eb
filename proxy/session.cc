#include "proxy/session.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace blueshift::proxy {
namespace {

using namespace asio::experimental::awaitable_operators;
using protocol::DecodeStatus;
using protocol::Frame;
using protocol::ProxyError;

// A message the proxy does not inspect and that is larger than this streams through
// without being buffered whole (large DataRows, CopyData).
constexpr size_t kStreamThreshold = 64 * 1024;
// Reads start small so an idle session holds little memory, and double while reads fill
// the buffer (large results, COPY), back to small when the session is idle again.
constexpr size_t kReadChunk = 2 * 1024;
constexpr size_t kMaxReadChunk = 256 * 1024;
// Largest message a client may send before it has logged in (passwords, SASL data,
// Redshift IdP tokens); PostgreSQL itself caps these lower.
constexpr size_t kMaxAuthMessageSize = 256 * 1024;
// A CancelRequest is exactly this long (length, code, process id, secret); PostgreSQL drops
// one of any other length without a word.
constexpr size_t kCancelRequestSize = 16;

// Statement names that cannot collide with a client's: a Bind of it fails at once, with no
// side effect, which is how a refused extended-protocol message is made to fail upstream.
constexpr const char* kRefusedStatementName = "__blueshift_refused__";
// A simple-protocol text that fails in the parser, before anything runs or is billed.
constexpr const char* kRefusedQueryText = "/* blueshift: statement refused by policy */ blueshift_refused";

int32_t read_int32(const uint8_t* p) {
  return static_cast<int32_t>((uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3]);
}

std::unique_ptr<ProxyError> fatal(std::string sqlstate, std::string message, std::string detail = {}) {
  return std::make_unique<ProxyError>(ProxyError{"FATAL", std::move(sqlstate), std::move(message), std::move(detail), {}});
}

std::string_view as_view(std::span<const uint8_t> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

// search_path as the server shows it: `"$user", public, "My Schema"`. Quoted names keep
// their case; unquoted ones fold to lower case.
std::vector<std::string> split_search_path(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  bool quoted = false;
  bool was_quoted = false;
  auto flush = [&] {
    size_t b = 0;
    size_t e = current.size();
    if (!was_quoted) {
      while (b < e && current[b] == ' ') ++b;
      while (e > b && current[e - 1] == ' ') --e;
    }
    std::string name = current.substr(b, e - b);
    if (!was_quoted) {
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!name.empty()) out.push_back(std::move(name));
    current.clear();
    was_quoted = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        current += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        current += c;
      }
    } else if (c == '"') {
      quoted = was_quoted = true;
      current.clear();
    } else if (c == ',') {
      flush();
    } else if (!(was_quoted && c == ' ')) {
      current += c;
    }
  }
  flush();
  return out;
}

// Whether an ErrorResponse body has severity FATAL or PANIC (the server ends the session).
bool is_fatal(std::span<const uint8_t> body) {
  size_t i = 0;
  while (i < body.size() && body[i] != 0) {
    const char field = static_cast<char>(body[i++]);
    const size_t start = i;
    while (i < body.size() && body[i] != 0) ++i;
    const std::string_view value(reinterpret_cast<const char*>(body.data()) + start, i - start);
    ++i;
    if (field == 'V' || field == 'S') return value == "FATAL" || value == "PANIC";
  }
  return false;
}

// Sends a CancelRequest for key to `to` on a connection of its own; true when it was sent.
// The receiver closes the connection when done: wait for that briefly so the cancel is
// delivered before this socket goes away.
awaitable<bool> deliver_cancel(const Endpoint& to, BackendKey key, int connect_timeout_ms) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(to.host, std::to_string(to.port), use_nothrow);
  if (rec) co_return false;
  tcp::socket socket(executor);
  asio::steady_timer timer(executor);
  timer.expires_after(std::chrono::milliseconds(connect_timeout_ms));
  auto connected = co_await (asio::async_connect(socket, endpoints, use_nothrow) || timer.async_wait(use_nothrow));
  if (connected.index() != 0 || std::get<0>(std::get<0>(connected))) co_return false;
  std::string bytes;
  protocol::encode(protocol::StartupPacket{protocol::CancelRequest{key.process_id, key.secret_key}}, bytes);
  auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(bytes), use_nothrow);
  if (wec) co_return false;
  char byte;
  timer.expires_after(std::chrono::seconds(2));
  co_await (socket.async_read_some(asio::buffer(&byte, 1), use_nothrow) || timer.async_wait(use_nothrow));
  co_return true;
}

}  // namespace

Session::Session(ServerContext& server, Executor executor, tcp::socket client, bool over_limit)
    : server_(server), config_(*server.config), client_(std::move(client)), over_limit_(over_limit),
      client_in_(), server_in_(), executor_(executor) {
  error_code ec;
  auto remote = client_.socket().remote_endpoint(ec);
  client_address_ = ec ? "unknown" : remote.address().to_string() + ":" + std::to_string(remote.port());
  client_.socket().set_option(tcp::no_delay(true), ec);
  identity_.client_address = ec ? "unknown" : remote.address().to_string();
  started_ = last_activity_ = std::chrono::steady_clock::now();
}

Session::~Session() {
  if (client_key_) server_.cancels.remove(*client_key_);
}

awaitable<void> Session::run(std::shared_ptr<Session> self) {
  // self is a coroutine parameter, so it lives in the frame: the session outlives every
  // wait even when it is started on another thread's loop.
  asio::steady_timer login_timer(co_await asio::this_coro::executor);
  login_timer.expires_after(std::chrono::milliseconds(config_.login_timeout_ms));

  auto login = [this]() -> awaitable<bool> {
    if (co_await negotiate_startup() == Startup::Done) co_return false;
    if (!co_await connect_upstream()) co_return false;
    co_return co_await relay_authentication();
  };
  auto outcome = co_await (login() || login_timer.async_wait(use_nothrow));
  bool logged_in = outcome.index() == 0 && std::get<0>(outcome);
  if (outcome.index() == 1) {
    end_reason_ = "login timeout";
    // Only if nothing is half-written to the client; an interrupted SSL handshake is not.
    if (startup_received_ || client_.is_tls())
      final_error_ = fatal("08006", "blueshift: login did not complete within " +
                                        std::to_string(config_.login_timeout_ms) + " ms");
  }

  if (logged_in) {
    last_activity_ = std::chrono::steady_clock::now();
    client_.watch();
    upstream_->watch();
    // This frame (and the login's) ends here: an idle session keeps only its tasks' frames.
    start_tasks(self);
    co_return;
  }
  co_await finish(std::move(self));
}

// The logged-in phase, as `pump_client() || pump_server() [|| watchdog()]` would run it,
// without the operator's own coroutine frames and group state: each task is a coroutine of
// its own holding the session; the first to end cancels the others (terminal
// cancellation, as the operator emits), and the last to end finishes the session.
void Session::start_tasks(const std::shared_ptr<Session>& self) {
  awaitable<void> (Session::*const tasks[])() = {&Session::pump_client, &Session::pump_server, &Session::watchdog};
  const uint8_t count = config_.idle_client_timeout_ms > 0 ? 3 : 2;
  static_assert(std::size(tasks) == std::tuple_size_v<decltype(stops_)>);
  // All counted before any starts: a task that ends at once completes through a post,
  // after this loop, and must find every other task started.
  tasks_running_ = count;
  for (uint8_t i = 0; i < count; ++i) {
    asio::co_spawn(executor_, (this->*tasks[i])(),
                   asio::bind_cancellation_slot(stops_[i].slot(), [self, i](std::exception_ptr error) {
                     self->task_ended(self, i, error);
                   }));
  }
}

void Session::task_ended(const std::shared_ptr<Session>& self, uint8_t index, std::exception_ptr error) {
  // An exception is a bug; it ends the session like any other end of a task.
  if (error) log_unexpected(error);
  if (!stopping_) {
    stopping_ = true;
    for (uint8_t i = 0; i < stops_.size(); ++i) {
      if (i != index) stops_[i].emit(asio::cancellation_type::terminal);  // no-op for a task not run
    }
  }
  if (--tasks_running_ == 0) asio::co_spawn(executor_, finish(self), &Session::log_unexpected);
}

awaitable<void> Session::finish(std::shared_ptr<Session> self) {
  if (final_error_ && server_stream_remaining_ == 0) co_await send_fatal(*final_error_);
  client_.close();
  if (upstream_) upstream_->close();
  if (startup_received_) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
    spdlog::info("connection close client={} user={} database={} application_name={} duration_ms={} reason=\"{}\"",
                 client_address_, identity_.user, identity_.database, identity_.application_name, ms, end_reason_);
  } else {
    spdlog::debug("connection from {} ended before login: {}", client_address_, end_reason_);
  }
  server_.counters.connections_active.fetch_sub(1);
}

void Session::log_unexpected(std::exception_ptr error) {
  // Sessions report peer errors as values; an exception here is a bug: log it, keep serving.
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& ex) {
    spdlog::error("session ended by an unexpected exception: {}", ex.what());
  }
}

awaitable<void> Session::send_fatal(const ProxyError& error) {
  const std::string bytes = protocol::encode_error(error);
  co_await client_.write(asio::buffer(bytes));
}

awaitable<std::optional<protocol::StartupPacket>> Session::read_startup_packet() {
  for (;;) {
    std::span<const uint8_t> body;
    size_t size = 0;
    std::string error;
    const DecodeStatus status = protocol::decode_startup_frame(client_in_.readable(), &body, &size, &error);
    if (status == DecodeStatus::Error) {
      // A Terminate, an HTTP request, a TLS ClientHello: PostgreSQL closes without a byte.
      drop_startup(DroppedStartup::InvalidLength, error);
      co_return std::nullopt;
    }
    if (status == DecodeStatus::ReadyForNext) {
      if (read_int32(body.data()) == protocol::kCancelRequestCode && size != kCancelRequestSize) {
        drop_startup(DroppedStartup::InvalidLength, "invalid length of cancel request: " + std::to_string(size));
        co_return std::nullopt;
      }
      auto packet = protocol::decode_startup(body);
      client_in_.consume(size);
      if (!packet.ok()) {
        end_reason_ = "invalid startup packet";
        final_error_ = fatal("08P01", "blueshift: invalid startup packet: " + std::string(packet.status().message()));
        co_return std::nullopt;
      }
      co_return std::move(*packet);
    }
    auto space = client_in_.writable(512);
    auto [ec, n] = co_await client_.read_some(asio::buffer(space.data(), std::min<size_t>(space.size(), 512)));
    if (ec) {
      // Nothing at all is how health checks and port scanners leave: not worth a line.
      if (client_in_.size() == 0) end_reason_ = "closed before startup: " + ec.message();
      else drop_startup(DroppedStartup::Incomplete, "incomplete startup packet: " + ec.message());
      co_return std::nullopt;
    }
    client_in_.commit(n);
  }
}

void Session::drop_startup(DroppedStartup kind, const std::string& why) {
  end_reason_ = why;
  const auto suppressed = server_.dropped_startups.admit(static_cast<size_t>(kind), std::chrono::steady_clock::now());
  if (!suppressed) return;
  spdlog::info("connection from {} closed without a reply, as PostgreSQL does: {}{}", client_address_, why,
               *suppressed ? " (and " + std::to_string(*suppressed) + " more like it since the last such line)" : "");
}

void Session::refuse_unanswered_data(const std::string& request) {
  // Bytes sent before the answer was read: PostgreSQL 15 refuses them, as a man in the middle
  // could have injected them, whatever it answered.
  end_reason_ = "unencrypted data after " + request;
  final_error_ = fatal("08P01", "blueshift: received unencrypted data after " + request,
                       "This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.");
}

awaitable<Session::Startup> Session::negotiate_startup() {
  for (;;) {
    auto packet = co_await read_startup_packet();
    if (!packet) co_return Startup::Done;
    if (std::holds_alternative<protocol::SslRequest>(*packet)) {
      if (client_.is_tls()) {
        end_reason_ = "SSLRequest inside TLS";
        final_error_ = fatal("08P01", "blueshift: SSLRequest received over an encrypted connection");
        co_return Startup::Done;
      }
      const char answer = server_.client_tls ? 'S' : 'N';
      auto [ec, n] = co_await client_.write(asio::buffer(&answer, 1));
      if (ec) co_return Startup::Done;
      if (answer == 'N' && client_in_.size() != 0) {
        refuse_unanswered_data("SSL request");
        co_return Startup::Done;
      }
      if (answer == 'S') {
        if (client_in_.size() != 0) {  // bytes sent before the handshake could be injected by a MITM
          end_reason_ = "unencrypted data after SSLRequest";
          co_return Startup::Done;
        }
        if (auto hs = co_await client_.accept_tls(*server_.client_tls)) {
          end_reason_ = "TLS handshake failed: " + hs.message();
          spdlog::info("connection from {} failed TLS handshake: {}", client_address_, hs.message());
          co_return Startup::Done;
        }
      }
      continue;
    }
    if (std::holds_alternative<protocol::GssEncRequest>(*packet)) {
      const char answer = 'N';
      auto [ec, n] = co_await client_.write(asio::buffer(&answer, 1));
      if (ec) co_return Startup::Done;
      if (client_in_.size() != 0) {
        refuse_unanswered_data("GSSAPI encryption request");
        co_return Startup::Done;
      }
      continue;
    }
    if (auto* cancel = std::get_if<protocol::CancelRequest>(&*packet)) {
      co_await forward_cancel(*cancel);
      end_reason_ = "cancel request";
      co_return Startup::Done;
    }
    startup_ = std::get<protocol::StartupMessage>(std::move(*packet));
    auto param = [&](std::string_view name) {
      const std::string* v = startup_.find(name);
      return v ? *v : std::string();
    };
    identity_.user = param("user");
    identity_.database = param("database");
    if (identity_.database.empty()) identity_.database = identity_.user;
    identity_.application_name = param("application_name");
    if (const std::string* sp = startup_.find("search_path")) {
      identity_.search_path = split_search_path(*sp);
    }
    if (const std::string* options = startup_.find("options");
        options && options->find("search_path") != std::string::npos) {
      identity_.search_path_uncertain = true;  // -c search_path=... set at startup
    }
    // The proxy relays bytes it cannot decompress: never let the server turn on
    // Redshift's wire compression.
    startup_.erase("_pq_.compression");
    startup_received_ = !startup_.parameters.empty();
    spdlog::info("connection open client={} user={} database={} application_name={} tls={}", client_address_,
                 identity_.user, identity_.database, identity_.application_name, client_.is_tls() ? "yes" : "no");
    if (identity_.user.empty()) {
      end_reason_ = "no user in startup packet";
      final_error_ = fatal("28000", "blueshift: no PostgreSQL user name specified in startup packet");
      co_return Startup::Done;
    }
    if (over_limit_) {
      end_reason_ = "too many clients";
      final_error_ = fatal("53300", "blueshift: sorry, too many clients already",
                           "The proxy accepts at most " + std::to_string(config_.max_client_connections) +
                               " client connections (limits.max_client_connections).");
      co_return Startup::Done;
    }
    if (config_.tls_require && !client_.is_tls()) {
      end_reason_ = "TLS required";
      final_error_ = std::make_unique<ProxyError>(ProxyError{"FATAL", "28000",
                                                             "blueshift: this proxy accepts only TLS connections", "",
                                                             "Connect with sslmode=require (or ssl=true in JDBC)."});
      co_return Startup::Done;
    }
    co_return Startup::Proceed;
  }
}

awaitable<void> Session::forward_cancel(const protocol::CancelRequest& request) {
  const BackendKey received{request.process_id, request.secret_key};
  const CancelRoute route = route_cancel(received, config_.peer_id, config_.peers);
  if (route.kind == CancelRoute::Kind::Peer) {
    // The key names another instance: its session lives there.
    const auto peer = std::find_if(config_.peers.begin(), config_.peers.end(),
                                   [&](const Peer& p) { return p.id == route.peer; });
    if (co_await deliver_cancel(peer->endpoint, mark_forwarded(received), config_.connect_timeout_ms)) {
      server_.counters.cancels_forwarded.fetch_add(1);
      spdlog::debug("cancel request from {} forwarded to peer {}", client_address_, route.peer);
    } else {
      spdlog::warn("cancel request from {} for peer {} lost: could not reach {}", client_address_, route.peer,
                   peer->endpoint.to_string());
    }
    co_return;
  }
  std::optional<BackendKey> target;
  if (route.kind == CancelRoute::Kind::Local) target = server_.cancels.find(unmark_forwarded(received));
  if (!target) {
    server_.counters.cancels_unknown.fetch_add(1);
    spdlog::info("cancel request from {} with an unknown key ignored", client_address_);
    co_return;
  }
  if (co_await deliver_cancel(config_.upstream, *target, config_.connect_timeout_ms))
    server_.counters.cancels_forwarded.fetch_add(1);
}

awaitable<bool> Session::connect_upstream() {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(config_.upstream.host, std::to_string(config_.upstream.port),
                                                          use_nothrow);
  auto unavailable = [&](const std::string& why) {
    server_.counters.upstream_failures.fetch_add(1);
    end_reason_ = "upstream unavailable: " + why;
    final_error_ = fatal("08006", "blueshift: could not connect to the upstream server " + config_.upstream.to_string(), why);
  };
  if (rec) {
    unavailable(rec.message());
    co_return false;
  }
  tcp::socket socket(executor);
  asio::steady_timer timer(executor);
  timer.expires_after(std::chrono::milliseconds(config_.connect_timeout_ms));
  auto connected = co_await (asio::async_connect(socket, endpoints, use_nothrow) || timer.async_wait(use_nothrow));
  if (connected.index() != 0) {
    unavailable("connect timed out");
    co_return false;
  }
  if (auto ec = std::get<0>(std::get<0>(connected))) {
    unavailable(ec.message());
    co_return false;
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  upstream_.emplace(std::move(socket));

  if (server_.upstream_tls) {
    std::string request;
    protocol::encode(protocol::StartupPacket{protocol::SslRequest{}}, request);
    auto [wec, wn] = co_await upstream_->write(asio::buffer(request));
    char answer = 0;
    auto [rec2, rn] = co_await upstream_->read_some(asio::buffer(&answer, 1));
    if (wec || rec2) {
      unavailable("connection lost during TLS negotiation");
      co_return false;
    }
    if (answer != 'S') {
      unavailable("the server does not accept TLS (upstream.tls is " +
                  std::string(config_.upstream_tls == UpstreamTls::VerifyFull ? "verify-full" : "require") + ")");
      co_return false;
    }
    const bool verify = config_.upstream_tls == UpstreamTls::VerifyFull;
    const std::string name = config_.upstream_server_name.empty() ? config_.upstream.host : config_.upstream_server_name;
    if (auto hs = co_await upstream_->connect_tls(*server_.upstream_tls, name, verify)) {
      unavailable("TLS handshake failed: " + hs.message());
      co_return false;
    }
  }
  std::string bytes;
  // Sent once: the parameters' memory goes now rather than at the end of the session.
  protocol::encode(protocol::StartupPacket{std::exchange(startup_, {})}, bytes);
  auto [ec, n] = co_await upstream_->write(asio::buffer(bytes));
  if (ec) {
    unavailable(ec.message());
    co_return false;
  }
  co_return true;
}

awaitable<bool> Session::read_frame(Stream& stream, Buffer& buffer, size_t max_size, Frame* frame) {
  for (;;) {
    std::string error;
    const DecodeStatus status = protocol::decode_frame(buffer.readable(), max_size, frame, &error);
    if (status == DecodeStatus::ReadyForNext) co_return true;
    if (status == DecodeStatus::Error) {
      end_reason_ = "protocol error: " + error;
      final_error_ = fatal("08P01", "blueshift: " + error);
      co_return false;
    }
    // Read what arrives, never reserve what a peer merely claims.
    auto space = buffer.writable(frame->size > buffer.size() ? std::min(frame->size - buffer.size(), kReadChunk)
                                                             : kReadChunk);
    auto [ec, n] = co_await stream.read_some(asio::buffer(space));
    if (ec) {
      end_reason_ = &stream == &client_ ? "client closed during login" : "upstream closed during login";
      if (&stream != &client_)
        final_error_ = fatal("08006", "blueshift: the upstream server closed the connection during login");
      co_return false;
    }
    buffer.commit(n);
  }
}

awaitable<bool> Session::write_client(std::string_view bytes) {
  auto [ec, n] = co_await client_.write(asio::buffer(bytes.data(), bytes.size()));
  co_return !ec;
}

awaitable<bool> Session::relay_authentication() {
  for (;;) {
    Frame f;
    if (!co_await read_frame(*upstream_, server_in_, protocol::kMaxStartupPacketSize * 100, &f)) co_return false;
    const std::string_view raw(reinterpret_cast<const char*>(server_in_.head()), f.size);
    switch (f.code) {
      case 'R': {
        if (f.body.size() < 4) {
          end_reason_ = "bad authentication request from upstream";
          final_error_ = fatal("08P01", "blueshift: the upstream server sent a malformed authentication request");
          co_return false;
        }
        const int32_t type = read_int32(f.body.data());
        bool sent = false;
        if (type == static_cast<int32_t>(protocol::AuthType::Sasl)) {
          // Channel binding cannot survive TLS termination: offer clients only the
          // mechanisms that do not bind to the (proxy's) TLS channel.
          auto mechanisms = protocol::parse_sasl_mechanisms(as_view(f.body.subspan(4)));
          if (!mechanisms.ok()) {
            end_reason_ = "bad SASL mechanism list from upstream";
            final_error_ = fatal("08P01", "blueshift: the upstream server sent a malformed SASL mechanism list");
            co_return false;
          }
          {
            std::erase_if(*mechanisms, [](const std::string& m) { return m.ends_with("-PLUS"); });
            std::string out;
            protocol::encode(protocol::BackendMessage{protocol::Authentication{
                                 type, protocol::encode_sasl_mechanisms(*mechanisms)}},
                             out);
            if (!co_await write_client(out)) co_return false;
            sent = true;
          }
        }
        if (!sent && !co_await write_client(raw))
          co_return false;
        server_in_.consume(f.size);
        if (type == static_cast<int32_t>(protocol::AuthType::Ok) ||
            type == static_cast<int32_t>(protocol::AuthType::SaslFinal))
          break;
        // Every other request waits for the client's answer, whatever its type ('p', or
        // Redshift's 'd' digest and 'i' identity-provider token): relay it unchanged.
        Frame answer;
        if (!co_await read_frame(client_, client_in_, std::min(config_.max_message_size, kMaxAuthMessageSize), &answer))
          co_return false;
        auto [ec, n] = co_await upstream_->write(asio::buffer(client_in_.head(), answer.size));
        client_in_.consume(answer.size);
        if (ec) {
          end_reason_ = "upstream closed during login";
          co_return false;
        }
        break;
      }
      case 'E': {
        // Authentication failed (or the server refused the session): the client gets the
        // server's own error.
        const bool ok = co_await write_client(raw);
        server_in_.consume(f.size);
        end_reason_ = "login refused by upstream";
        (void)ok;
        co_return false;
      }
      case 'K': {
        auto decoded = protocol::decode_backend(f.code, f.body);
        if (!decoded.ok()) {
          end_reason_ = "bad BackendKeyData from upstream";
          co_return false;
        }
        const auto& real = std::get<protocol::BackendKeyData>(*decoded);
        // The server's own pid (pg_backend_pid(), NOTIFY and pg_terminate_backend agree with
        // it) and a secret of the proxy's: the server's secret never leaves the proxy.
        client_key_ = server_.cancels.issue(BackendKey{real.process_id, real.secret_key}, config_.peer_id);
        std::string out;
        protocol::encode(protocol::BackendMessage{protocol::BackendKeyData{client_key_->process_id, client_key_->secret_key}},
                         out);
        server_in_.consume(f.size);
        if (!co_await write_client(out)) co_return false;
        break;
      }
      case 'Z': {
        if (!f.body.empty()) transaction_status_ = static_cast<char>(f.body[0]);
        const bool ok = co_await write_client(raw);
        server_in_.consume(f.size);
        co_return ok;
      }
      default: {
        if (f.code == 'S') on_parameter_status(f.body);
        const bool ok = co_await write_client(raw);
        server_in_.consume(f.size);
        if (!ok) co_return false;
        break;
      }
    }
  }
}

void Session::on_parameter_status(std::span<const uint8_t> body) {
  const std::string_view text = as_view(body);
  const size_t nul = text.find('\0');
  if (nul == std::string_view::npos) return;
  const std::string_view name = text.substr(0, nul);
  std::string_view value = text.substr(nul + 1);
  if (!value.empty() && value.back() == '\0') value.remove_suffix(1);
  if (name == "search_path") {
    // The server's own word (servers that report it): authoritative.
    identity_.search_path = split_search_path(value);
    identity_.search_path_uncertain = false;
  }
}

// ------------------------------------------------------------------ pumps

awaitable<void> Session::pump_client() {
  std::string out;
  size_t chunk = kReadChunk;
  for (;;) {
    if (client_in_.size() == 0 && client_in_.capacity() > chunk) client_in_.release();
    error_code ec;
    size_t n = 0;
    if (client_.watched()) {
      while (!client_.read_now(client_in_, chunk, client_waits_, ec, n)) {
        std::tie(ec) = co_await client_.readable();
        if (ec) break;
      }
    } else {
      std::tie(ec, n) = co_await client_.read_into(client_in_, chunk, client_waits_);
    }
    if (ec) {
      if (end_reason_.empty() || end_reason_ == "client closed") end_reason_ = "client closed";
      co_return;
    }
    if (config_.idle_client_timeout_ms > 0) last_activity_ = std::chrono::steady_clock::now();  // for watchdog()
    if (n >= chunk && chunk < kMaxReadChunk) chunk *= 2;
    else if (n < chunk / 4 && chunk > kReadChunk) chunk /= 2;

    asio::const_buffer pending;
    size_t consumed = 0;
    if (!frame_client_input(out, &pending, &consumed)) co_return;
    error_code wec;
    if (!upstream_->write_now(pending, wec)) std::tie(wec, std::ignore) = co_await upstream_->write(pending);
    client_in_.consume(consumed);
    if (wec) {
      if (wec != asio::error::operation_aborted && end_reason_ != "client terminated") {
        end_reason_ = "upstream write failed: " + wec.message();
        final_error_ = fatal("08006", "blueshift: lost the connection to the upstream server", wec.message());
      }
      co_return;
    }
  }
}

awaitable<void> Session::pump_server() {
  std::string out;
  std::string extra;
  size_t chunk = kReadChunk;
  for (;;) {
    if (server_in_.size() == 0 && server_in_.capacity() > chunk) server_in_.release();
    const bool quiet = !tracker_.awaiting_reply() && server_stream_remaining_ == 0;
    error_code ec;
    size_t n = 0;
    if (upstream_->watched()) {
      while (!upstream_->read_now(server_in_, chunk, quiet, ec, n)) {
        std::tie(ec) = co_await upstream_->readable();
        if (ec) break;
      }
    } else {
      std::tie(ec, n) = co_await upstream_->read_into(server_in_, chunk, quiet);
    }
    if (ec == asio::error::operation_aborted) co_return;  // the other pump ended the session
    if (ec) {
      if (upstream_sent_fatal_) {
        end_reason_ = "upstream ended the session";  // the client already has the server's FATAL
      } else if (end_reason_ != "client terminated") {
        server_.counters.upstream_failures.fetch_add(1);
        end_reason_ = "upstream closed: " + ec.message();
        final_error_ = fatal("08006", "blueshift: the upstream server closed the connection unexpectedly",
                             "The query or COPY in progress did not complete; its transaction is lost.");
      }
      co_return;
    }
    if (config_.idle_client_timeout_ms > 0) last_activity_ = std::chrono::steady_clock::now();  // for watchdog()
    if (n >= chunk && chunk < kMaxReadChunk) chunk *= 2;
    else if (n < chunk / 4 && chunk > kReadChunk) chunk /= 2;

    asio::const_buffer pending;
    size_t consumed = 0;
    if (!frame_server_input(out, extra, &pending, &consumed)) co_return;
    error_code wec;
    if (!client_.write_now(pending, wec)) std::tie(wec, std::ignore) = co_await client_.write(pending);
    server_in_.consume(consumed);
    if (wec) {
      if (wec != asio::error::operation_aborted) end_reason_ = "client write failed: " + wec.message();
      co_return;
    }
  }
}

bool Session::frame_client_input(std::string& out, asio::const_buffer* pending, size_t* consumed) {
  const bool governed = server_.governor != nullptr;
  const uint8_t* base = client_in_.head();
  const size_t avail = client_in_.size();
  size_t pos = 0;
  size_t run_start = 0;
  bool copying = false;
  out.clear();
  while (pos < avail) {
    if (client_stream_remaining_ > 0) {
      const size_t take = std::min(client_stream_remaining_, avail - pos);
      pos += take;
      client_stream_remaining_ -= take;
      continue;
    }
    Frame f;
    std::string error;
    const DecodeStatus status =
        protocol::decode_frame({base + pos, avail - pos}, config_.max_message_size, &f, &error);
    if (status == DecodeStatus::Error) {
      end_reason_ = "invalid message from client: " + error;
      final_error_ = fatal("08P01", "blueshift: invalid message from client: " + error);
      return false;
    }
    const bool inspected = discarding_until_sync_ || (governed && (f.code == 'Q' || f.code == 'P' ||
                                                                   f.code == 'B' || f.code == 'C'));
    if (status == DecodeStatus::NeedMoreData) {
      if (f.size > kStreamThreshold && !inspected) {
        tracker_.on_forward(f.code);
        client_waits_ = false;
        client_stream_remaining_ = f.size - (avail - pos);
        pos = avail;
      }
      break;
    }
    if (f.code == 'X') end_reason_ = "client terminated";
    // After a Sync, Query or FunctionCall the client usually waits for the answer.
    client_waits_ = f.code == 'S' || f.code == 'Q' || f.code == 'F' || f.code == 'H';
    std::string replacement;
    const Disposition d = inspected ? inspect_client(f, &replacement) : Disposition::Forward;
    if (d == Disposition::Forward) {
      tracker_.on_forward(f.code);
      pos += f.size;
      continue;
    }
    if (final_error_) return false;
    out.append(reinterpret_cast<const char*>(base + run_start), pos - run_start);
    out.append(replacement);
    copying = true;
    pos += f.size;
    run_start = pos;
  }
  if (copying) out.append(reinterpret_cast<const char*>(base + run_start), pos - run_start);
  *pending = copying ? asio::buffer(out) : asio::buffer(base + run_start, pos - run_start);
  *consumed = pos;
  return true;
}

bool Session::frame_server_input(std::string& out, std::string& extra, asio::const_buffer* pending, size_t* consumed) {
  const uint8_t* base = server_in_.head();
  const size_t avail = server_in_.size();
  size_t pos = 0;
  size_t run_start = 0;
  bool copying = false;
  out.clear();
  while (pos < avail) {
    if (server_stream_remaining_ > 0) {
      const size_t take = std::min(server_stream_remaining_, avail - pos);
      pos += take;
      server_stream_remaining_ -= take;
      continue;
    }
    Frame f;
    std::string error;
    const DecodeStatus status = protocol::decode_frame({base + pos, avail - pos}, protocol::kMaxMessageSize, &f, &error);
    if (status == DecodeStatus::Error) {
      end_reason_ = "invalid message from upstream: " + error;
      final_error_ = fatal("08P01", "blueshift: invalid message from the upstream server", error);
      return false;
    }
    const bool inspected = f.code == 'Z' || f.code == 'E' || f.code == 'S';
    if (status == DecodeStatus::NeedMoreData) {
      if (f.size > kStreamThreshold && !inspected) {
        extra.clear();
        (void)tracker_.on_backend(f.code, &extra);
        server_stream_remaining_ = f.size - (avail - pos);
        pos = avail;
      }
      break;
    }
    extra.clear();
    ReplyTracker::Action action = tracker_.on_backend(f.code, &extra);
    if (f.code == 'Z' && !f.body.empty()) {
      transaction_status_ = static_cast<char>(f.body[0]);
    } else if (f.code == 'S') {
      on_parameter_status(f.body);
    } else if (f.code == 'E') {
      upstream_sent_fatal_ = is_fatal(f.body);
    }
    if (action == ReplyTracker::Action::Replace || !extra.empty()) {
      out.append(reinterpret_cast<const char*>(base + run_start), pos - run_start);
      out.append(extra);
      if (action == ReplyTracker::Action::Forward) out.append(reinterpret_cast<const char*>(base + pos), f.size);
      copying = true;
      pos += f.size;
      run_start = pos;
      continue;
    }
    pos += f.size;
  }
  if (copying) out.append(reinterpret_cast<const char*>(base + run_start), pos - run_start);
  *pending = copying ? asio::buffer(out) : asio::buffer(base + run_start, pos - run_start);
  *consumed = pos;
  return true;
}

awaitable<void> Session::watchdog() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto timeout = std::chrono::milliseconds(config_.idle_client_timeout_ms);
  for (;;) {
    timer.expires_at(last_activity_ + timeout);
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec == asio::error::operation_aborted) co_return;
    if (tracker_.awaiting_reply()) {
      // A running query or COPY is not idleness, however long the server takes.
      last_activity_ = std::chrono::steady_clock::now();
      continue;
    }
    if (std::chrono::steady_clock::now() >= last_activity_ + timeout) {
      end_reason_ = "idle timeout";
      final_error_ = fatal("57P05", "blueshift: terminating connection due to idle timeout (" +
                                        std::to_string(config_.idle_client_timeout_ms) + " ms)");
      co_return;
    }
  }
}

// ------------------------------------------------------------------ inspection

Session::Disposition Session::inspect_client(const Frame& f, std::string* replacement) {
  if (discarding_until_sync_) {
    // After a refusal in the extended protocol, everything up to Sync is discarded, as a
    // server does after an error (the server, seeing the substitute fail, would too).
    if (f.code == 'S') {
      discarding_until_sync_ = false;
      return Disposition::Forward;
    }
    return Disposition::Drop;
  }
  if (f.code != 'C' && transaction_status_ == 'E' && !tracker_.awaiting_reply()) {
    // In a failed transaction block the server runs nothing but the end of the block (or
    // a rollback to a savepoint) and answers everything else with 25P02, as the client
    // expects; nothing is in flight that could have ended the block first.
    return Disposition::Forward;
  }
  policies::Governor& governor = *server_.governor;
  auto decoded = protocol::decode_frontend(f.code, f.body);
  if (!decoded.ok()) {
    // Fail closed: what the proxy cannot decode it cannot vouch for.
    end_reason_ = "malformed message from client";
    final_error_ = fatal("08P01", "blueshift: malformed message from client: " + std::string(decoded.status().message()));
    return Disposition::Drop;
  }
  switch (f.code) {
    case 'Q': {
      const auto& q = std::get<protocol::Query>(*decoded);
      policies::Verdict v = governor.check_query(q.sql, identity_);
      if (v.outcome == policies::Verdict::Outcome::Refuse) return refuse(v, false, replacement);
      if (v.new_search_path) {
        identity_.search_path = *v.new_search_path;
        // Certain only for a plain SET in autocommit with nothing else in flight: inside a
        // block it may roll back, and a pipelined BEGIN may not be visible yet.
        identity_.search_path_uncertain =
            v.search_path_uncertain || transaction_status_ != 'I' || tracker_.awaiting_reply();
      } else if (v.search_path_uncertain) {
        identity_.search_path_uncertain = true;
      }
      if (v.outcome == policies::Verdict::Outcome::Notice) notice(v);
      return Disposition::Forward;
    }
    case 'P': {
      const auto& p = std::get<protocol::Parse>(*decoded);
      std::shared_ptr<const policies::PreparedCheck> deferred;
      // The parameter types let binary Bind values be read at Bind time.
      const std::vector<uint32_t> types(p.param_types.begin(), p.param_types.end());
      policies::Verdict v = governor.check_parse(p.query, identity_, &deferred, types);
      if (v.outcome == policies::Verdict::Outcome::Refuse) return refuse(v, true, replacement);
      if (p.statement.empty()) {
        // A Parse of the unnamed statement drops the previous one even when it fails.
        if (deferred) deferred_[""] = {std::move(deferred)};
        else deferred_.erase("");
      } else if (deferred) {
        // A named statement can only be re-Parsed after a Close; if this Parse fails (the
        // name is taken), the earlier statement stays, so its checks stay too.
        deferred_[p.statement].push_back(std::move(deferred));
      }
      if (v.new_search_path || v.search_path_uncertain) {
        // Parse runs nothing: whether and when the SET executes is the client's choice.
        if (v.new_search_path) identity_.search_path = *v.new_search_path;
        identity_.search_path_uncertain = true;
      }
      if (v.outcome == policies::Verdict::Outcome::Notice) notice(v);
      return Disposition::Forward;
    }
    case 'B': {
      if (deferred_.empty()) return Disposition::Forward;
      const auto& b = std::get<protocol::Bind>(*decoded);
      auto it = deferred_.find(b.statement);
      if (it == deferred_.end()) return Disposition::Forward;
      for (const auto& check : it->second) {
        policies::Verdict v = governor.check_bind(*check, b.params, b.param_formats, identity_);
        if (v.outcome == policies::Verdict::Outcome::Refuse) return refuse(v, true, replacement);
        if (v.outcome == policies::Verdict::Outcome::Notice) {
          notice(v);
          break;
        }
      }
      return Disposition::Forward;
    }
    case 'C': {
      const auto& c = std::get<protocol::Close>(*decoded);
      if (c.kind == 'S') deferred_.erase(c.name);
      return Disposition::Forward;
    }
    default:
      return Disposition::Forward;
  }
}

Session::Disposition Session::refuse(const policies::Verdict& verdict, bool extended, std::string* replacement) {
  tracker_.substitute_next(protocol::encode_error(
      ProxyError{"ERROR", verdict.sqlstate, verdict.message, verdict.detail, verdict.hint}));
  // The server is sent a message that fails at once with no side effect, so its own
  // transaction state (failed block, rolled-back implicit transaction) is exactly what it
  // would be had the statement failed there; its error is replaced by the refusal.
  if (extended) {
    protocol::encode(protocol::FrontendMessage{protocol::Bind{"", kRefusedStatementName, {}, {}, {}}}, *replacement);
    tracker_.on_forward('B');
    discarding_until_sync_ = true;
  } else {
    protocol::encode(protocol::FrontendMessage{protocol::Query{kRefusedQueryText}}, *replacement);
    tracker_.on_forward('Q');
  }
  return Disposition::Replace;
}

void Session::notice(const policies::Verdict& verdict) {
  std::string bytes;
  protocol::encode(protocol::BackendMessage{protocol::make_notice(
                       ProxyError{"WARNING", verdict.sqlstate, verdict.message, verdict.detail, verdict.hint})},
                   bytes);
  tracker_.notice_next(std::move(bytes));
}

}  // namespace blueshift::proxy

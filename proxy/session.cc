#include "proxy/session.h"
#include "proxy/session_options.h"
#include "proxy/session_fatal.h"
#include "proxy/session_reload.h"
#include "proxy/off_thread.h"

#include "protocol/peek.h"
#include "policies/log_text.h"
#include "proxy/admin_console.h"
#include "proxy/budget_wait.h"
#include "proxy/upsert_settings.h"
#include "rewrite/identifiers.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <set>
#include <string_view>
#include <utility>

namespace blueshift::proxy {
namespace {

using namespace asio::experimental::awaitable_operators;
using protocol::DecodeStatus;
using protocol::Frame;
using protocol::ProxyError;
using policies::log_text;

// A message the proxy does not inspect and that is larger than this streams through
// without being buffered whole (large DataRows, CopyData).
constexpr size_t kStreamThreshold = 64 * 1024;
// Reads start small so an idle session holds little memory, and double while reads fill
// the buffer (large results, COPY), back to small when the session is idle again.
constexpr size_t kReadChunk = 2 * 1024;
constexpr size_t kMaxReadChunk = 256 * 1024;
// Largest message a client may send before it has logged in (passwords, SASL data,
// Redshift IdP tokens): PostgreSQL's own cap (PG_MAX_AUTH_TOKEN_LENGTH), so that a client
// that never finishes its login holds little memory.
constexpr size_t kMaxAuthMessageSize = 65535;
// A CancelRequest is exactly this long (length, code, process id, secret); PostgreSQL drops
// one of any other length without a word.
constexpr size_t kCancelRequestSize = 16;

// The first parameter name a startup packet repeats, or nullptr. PostgreSQL takes the last
// value: the proxy refuses rather than govern one identity while the server logs in another.
const std::string* repeated_parameter(const protocol::StartupMessage& startup) {
  std::set<std::string_view> seen;
  for (const auto& [name, value] : startup.parameters) {
    if (!seen.insert(name).second) return &name;
  }
  return nullptr;
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

Session::Session(ServerContext& server, Executor executor, tcp::socket client)
    : server_(server), config_(server.config.get()), login_config_(config_), client_(std::move(client)),
      client_in_(), server_in_(), conversation_(current_conversation_options(server)),
      identity_(conversation_.identity()), executor_(executor) {
  error_code ec;
  auto remote = client_.socket().remote_endpoint(ec);
  client_address_ = ec ? "unknown" : remote.address().to_string() + ":" + std::to_string(remote.port());
  client_.socket().set_option(tcp::no_delay(true), ec);
  identity_.client_address = ec ? "unknown" : remote.address().to_string();
  started_ = last_activity_ = std::chrono::steady_clock::now();
  login_->handshake_deadline = started_ + std::chrono::milliseconds(config_->handshake_timeout_ms);
  login_->admission = server_.slots.admit(
      identity_.client_address, {config_->max_unauthenticated_connections, config_->max_unauthenticated_per_address},
      &login_->place);
  if (login_->admission != ConnectionSlots::Admission::Admit) server_.metrics.connections_rejected.inc();
}

Session::~Session() {
  if (table_id_ != 0) server_.sessions.remove(table_id_);
  if (upstream_ && traffic_.queries != 0) server_.ended_sessions.add({identity_.database, identity_.user}, traffic_);
  if (client_key_) server_.cancels.remove(*client_key_);
  release_buffer(&client_reserved_);
  release_buffer(&server_reserved_);
}

bool Session::reserve_buffer(size_t* reserved, size_t size) {
  if (size <= *reserved) return true;
  if (server_.buffered.reserve(size - *reserved, config_->max_buffered_bytes)) {
    *reserved = size;
    return true;
  }
  end_reason_ = "buffer budget exhausted";
  final_error_ = fatal("53200", "blueshift: out of memory for buffered messages",
                       "A message of " + std::to_string(size) + " bytes does not fit in what the proxy may buffer for "
                       "all sessions together (limits.max_buffered_bytes = " +
                           std::to_string(config_->max_buffered_bytes) + "). Retry later, or send a smaller message.");
  return false;
}

void Session::release_buffer(size_t* reserved) {
  server_.buffered.release(std::exchange(*reserved, 0));
}

awaitable<void> Session::run(std::shared_ptr<Session> self) {
  // self is a coroutine parameter, so it lives in the frame: the session outlives every
  // wait even when it is started on another thread's loop.
  table_id_ = server_.sessions.add(self, executor_);
  if (login_->admission == ConnectionSlots::Admission::Close) {
    end_reason_ = "too many connections not logged in: closed before reading";
    co_await finish(std::move(self));
    co_return;
  }
  asio::steady_timer login_timer(co_await asio::this_coro::executor);
  login_timer.expires_after(std::chrono::milliseconds(config_->login_timeout_ms));

  auto login = [this]() -> awaitable<bool> {
    if (!co_await accept_proxy_header()) co_return false;
    if (co_await negotiate_startup() == Startup::Done) co_return false;
    if (identity_.database == kConsoleDatabase) co_return co_await console_login();
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
                                        std::to_string(config_->login_timeout_ms) + " ms");
  }

  if (logged_in && server_.draining.load(std::memory_order_relaxed)) {
    logged_in = false;  // the drain began during the login: not one statement more
    end_for_shutdown();
  }
  if (logged_in) {
    login_.reset();
    if (!console_) {
      co_await look_up_groups();
      prefetch_upsert_keys(config_->upserts.get(), server_.upsert_keys.get(), identity_);
    }
    last_activity_ = std::chrono::steady_clock::now();
    client_.watch();
    if (upstream_) upstream_->watch();
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
  if (console_) {  // the console's one task: the drain and KILL stop it as they stop pump_client
    tasks_running_ = 1;
    asio::co_spawn(executor_, console_->serve(), asio::bind_cancellation_slot(stops_[0].slot(), [self](std::exception_ptr e) {
                     self->task_ended(self, 0, e);
                   }));
    return;
  }
  const uint8_t count = has_time_limits(*config_) ? 3 : 2;
  // All counted before any starts: a task that ends at once completes through a post,
  // after this loop, and must find every other task started.
  tasks_running_ = count;
  for (uint8_t i = 0; i < count; ++i) start_task(self, i);
}

void Session::start_task(const std::shared_ptr<Session>& self, uint8_t index) {
  awaitable<void> (Session::*const tasks[])() = {&Session::pump_client, &Session::pump_server, &Session::watchdog};
  static_assert(std::size(tasks) == std::tuple_size_v<decltype(stops_)>);
  asio::co_spawn(executor_, (this->*tasks[index])(),
                 asio::bind_cancellation_slot(stops_[index].slot(), [self, index](std::exception_ptr error) {
                   self->task_ended(self, index, error);
                 }));
}



awaitable<void> Session::finish(std::shared_ptr<Session> self) {
  unpark(parked_);  // their Sleepers go with the streams
  if (console_ && end_reason_ == "client closed") end_reason_ = console_->end_reason();
  if (final_error_ && server_stream_remaining_ == 0) co_await send_fatal(*final_error_);
  client_.close();
  if (upstream_) upstream_->close();
  if (startup_received_) {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
    spdlog::info("connection close client={} user={} database={} application_name={} duration_ms={} reason=\"{}\"",
                 client_address_, log_text(identity_.user), log_text(identity_.database),
                 log_text(identity_.application_name), ms, end_reason_);
  } else {
    spdlog::debug("connection from {} ended before login: {}", client_address_, end_reason_);
  }
  if (client_counted_) server_.slots.leave_client();
  login_.reset();
  server_.metrics.connections_active.dec();
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
      if (protocol::startup_code(body) == protocol::kCancelRequestCode && size != kCancelRequestSize) {
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
    auto [ec, n] = co_await read_client_step(asio::buffer(space.data(), std::min<size_t>(space.size(), 512)));
    if (ec) {
      // Nothing at all is how health checks and port scanners leave: not worth a line.
      if (ec == asio::error::timed_out) co_return std::nullopt;  // handshake_timed_out() said why
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

awaitable<bool> Session::accept_proxy_header() {
  if (config_->proxy_trusted.empty()) co_return true;
  const bool trusted = in_networks(config_->proxy_trusted, identity_.client_address);
  for (;;) {
    const ProxyHeaderParse parse = parse_proxy_header(client_in_.readable());
    using Status = ProxyHeaderParse::Status;
    if (parse.status == Status::NeedMore) {
      auto space = client_in_.writable(kMaxProxyHeaderSize);
      auto [ec, n] = co_await client_.read_some(asio::buffer(space.data(), kMaxProxyHeaderSize - client_in_.size()));
      if (ec) {
        end_reason_ = "closed before startup: " + ec.message();
        co_return false;
      }
      client_in_.commit(n);
      continue;
    }
    if (parse.status == Status::Absent) {
      if (!trusted || !config_->proxy_required) co_return true;
      end_reason_ = "no PROXY protocol header";
      final_error_ = fatal("08P01", "blueshift: a PROXY protocol header is required from " + identity_.client_address,
                           "This address is in proxy_protocol.trusted: connect through the load balancer.");
      co_return false;
    }
    if (parse.status == Status::Invalid) co_return refuse_proxy_header("invalid PROXY protocol header: " + parse.error);
    if (!trusted) co_return refuse_proxy_header("PROXY protocol header from an untrusted address");
    client_in_.consume(parse.consumed);
    if (!parse.header.local) {
      identity_.client_address = parse.header.source_address;
      client_address_ = parse.header.source_address + ":" + std::to_string(parse.header.source_port);
    }
    co_return true;
  }
}

bool Session::refuse_proxy_header(const std::string& why) {
  drop_startup(DroppedStartup::ProxyHeader, why);  // what sent it is not a PostgreSQL client
  return false;
}

void Session::refuse_unanswered_data(const std::string& request) {
  // Bytes sent before the answer was read: PostgreSQL 15 refuses them, as a man in the middle
  // could have injected them, whatever it answered.
  end_reason_ = "unencrypted data after " + request;
  final_error_ = fatal("08P01", "blueshift: received unencrypted data after " + request,
                       "This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.");
}

void Session::refuse_repeated_request(int32_t code) {
  // PostgreSQL reads the code as a protocol version, as it does once a request was answered.
  end_reason_ = "encryption request repeated";
  final_error_ = fatal("0A000", "blueshift: unsupported frontend protocol " + std::to_string(code >> 16) + "." +
                                    std::to_string(code & 0xffff) + ": server supports 3.0 to 3.0");
}

awaitable<Session::Startup> Session::negotiate_startup() {
  // Which encryption requests were answered, as PostgreSQL 15's ProcessStartupPacket keeps
  // them: one asked again gets FATAL 0A000 (TLS rules out both; a GSSENCRequest refused
  // allows a new SSLRequest, as there).
  bool ssl_done = false;
  bool gss_done = false;
  for (;;) {
    auto packet = co_await read_startup_packet();
    if (!packet) co_return Startup::Done;
    if (std::holds_alternative<protocol::SslRequest>(*packet)) {
      if (ssl_done) {
        refuse_repeated_request(protocol::kSslRequestCode);
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
        if (auto hs = co_await accept_client_tls()) {
          end_reason_ = "TLS handshake failed: " + hs.message();
          spdlog::info("connection from {} failed TLS handshake: {}", client_address_, hs.message());
          co_return Startup::Done;
        }
      }
      ssl_done = true;
      gss_done = answer == 'S';
      continue;
    }
    if (std::holds_alternative<protocol::GssEncRequest>(*packet)) {
      if (gss_done) {
        refuse_repeated_request(protocol::kGssEncRequestCode);
        co_return Startup::Done;
      }
      const char answer = 'N';
      auto [ec, n] = co_await client_.write(asio::buffer(&answer, 1));
      if (ec) co_return Startup::Done;
      if (client_in_.size() != 0) {
        refuse_unanswered_data("GSSAPI encryption request");
        co_return Startup::Done;
      }
      ssl_done = false;
      gss_done = true;
      continue;
    }
    if (auto* cancel = std::get_if<protocol::CancelRequest>(&*packet)) {
      co_await forward_cancel(*cancel);
      end_reason_ = "cancel request";
      co_return Startup::Done;
    }
    login_->startup = std::get<protocol::StartupMessage>(std::move(*packet));
    if (const std::string* name = repeated_parameter(login_->startup)) {
      end_reason_ = "repeated startup parameter";
      final_error_ = fatal("08P01", "blueshift: invalid startup packet: parameter \"" + *name + "\" given more than once",
                           "Give each connection parameter once.");
      co_return Startup::Done;
    }
    auto param = [&](std::string_view name) {
      const std::string* v = login_->startup.find(name);
      return v ? *v : std::string();
    };
    identity_.user = param("user");
    identity_.database = param("database");
    if (identity_.database.empty()) identity_.database = identity_.user;
    identity_.application_name = param("application_name");
    if (const std::string* sp = login_->startup.find("search_path")) {
      identity_.search_path = rewrite::parse_search_path(*sp);
    }
    if (const std::string* options = login_->startup.find("options");
        options && rewrite::ascii_lower(*options).find("search_path") != std::string::npos) {
      identity_.search_path_uncertain = true;  // -c search_path=... set at startup
    }
    // The proxy relays bytes it cannot decompress: never let the server turn on
    // Redshift's wire compression.
    login_->startup.erase("_pq_.compression");
    startup_received_ = !login_->startup.parameters.empty();
    spdlog::info("connection open client={} user={} database={} application_name={} tls={}", client_address_,
                 log_text(identity_.user), log_text(identity_.database), log_text(identity_.application_name),
                 client_.is_tls() ? "yes" : "no");
    if (identity_.user.empty()) {
      end_reason_ = "no user in startup packet";
      final_error_ = fatal("28000", "blueshift: no PostgreSQL user name specified in startup packet");
      co_return Startup::Done;
    }
    if ((final_error_ = over_limit())) {
      end_reason_ = "too many clients";
      co_return Startup::Done;
    }
    if (config_->tls_require && !client_.is_tls()) {
      end_reason_ = "TLS required";
      final_error_ = std::make_unique<ProxyError>(ProxyError{"FATAL", "28000",
                                                             "blueshift: this proxy accepts only TLS connections", "",
                                                             "Connect with sslmode=require (or ssl=true in JDBC)."});
      co_return Startup::Done;
    }
    co_return Startup::Proceed;
  }
}

std::unique_ptr<ProxyError> Session::over_limit() {
  std::string detail;
  switch (login_->admission) {
    case ConnectionSlots::Admission::RefuseTotal:
      detail = "The proxy holds at most " + std::to_string(config_->max_unauthenticated_connections) +
               " connections that have not logged in yet (limits.max_unauthenticated_connections).";
      break;
    case ConnectionSlots::Admission::RefuseAddress:
      detail = "The proxy holds at most " + std::to_string(config_->max_unauthenticated_per_address) +
               " connections that have not logged in yet from one client address "
               "(limits.max_unauthenticated_per_address).";
      break;
    default:
      if (server_.slots.enter_client(config_->max_client_connections)) {
        client_counted_ = true;
        return nullptr;
      }
      server_.metrics.connections_rejected.inc();
      detail = "The proxy accepts at most " + std::to_string(config_->max_client_connections) +
               " client connections (limits.max_client_connections).";
  }
  return fatal("53300", "blueshift: sorry, too many clients already", detail);
}

awaitable<std::tuple<error_code, size_t>> Session::read_client_step(asio::mutable_buffer space) {
  asio::steady_timer timer(executor_, login_->handshake_deadline);
  auto outcome = co_await (client_.read_some(space) || timer.async_wait(use_nothrow));
  if (outcome.index() == 0) co_return std::get<0>(outcome);
  // Only if nothing is half-written to the client: not before a startup packet arrived.
  handshake_timed_out(startup_received_);
  co_return std::tuple<error_code, size_t>{asio::error::timed_out, 0};
}

awaitable<error_code> Session::accept_client_tls() {
  asio::steady_timer timer(executor_, login_->handshake_deadline);
  auto outcome = co_await (client_.accept_tls(*server_.client_tls) || timer.async_wait(use_nothrow));
  if (outcome.index() == 0) co_return std::get<0>(outcome);
  handshake_timed_out(false);  // an interrupted TLS handshake cannot carry an error
  co_return asio::error::timed_out;
}

void Session::handshake_timed_out(bool answer) {
  end_reason_ = "handshake timeout";
  if (answer)
    final_error_ = fatal("08006", "blueshift: the client did not send its next login message within " +
                                      std::to_string(config_->handshake_timeout_ms) + " ms (limits.handshake_timeout_ms)");
}

awaitable<void> Session::forward_cancel(const protocol::CancelRequest& request) {
  if (!server_.cancel_throttle.admit(identity_.client_address, std::chrono::steady_clock::now())) {
    server_.metrics.cancels_throttled.inc();  // dropped without a word, as an unknown key is
    co_return;
  }
  const BackendKey received{request.process_id, request.secret_key};
  const CancelRoute route = route_cancel(received, config_->peer_id, config_->peers);
  if (route.kind == CancelRoute::Kind::Peer) {
    // The key names another instance: its session lives there.
    const auto peer = std::find_if(config_->peers.begin(), config_->peers.end(),
                                   [&](const Peer& p) { return p.id == route.peer; });
    if (co_await deliver_cancel(peer->endpoint, mark_forwarded(received), config_->connect_timeout_ms)) {
      server_.metrics.cancels_forwarded.inc();
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
    server_.metrics.cancels_unknown.inc();
    if (const auto left_out = server_.unknown_cancels.admit(0, std::chrono::steady_clock::now()))
      spdlog::info("cancel request from {} with an unknown key ignored{}", client_address_,
                   *left_out ? " (and " + std::to_string(*left_out) + " more since the last such line)" : "");
    co_return;
  }
  if (co_await deliver_cancel(config_->upstream, *target, config_->connect_timeout_ms))
    server_.metrics.cancels_forwarded.inc();
}

awaitable<bool> Session::connect_upstream() {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  auto [rec, endpoints] = co_await resolver.async_resolve(config_->upstream.host, std::to_string(config_->upstream.port),
                                                          use_nothrow);
  auto unavailable = [&](const std::string& why) {
    server_.metrics.upstream_failures.inc();
    end_reason_ = "upstream unavailable: " + why;
    final_error_ = fatal("08006", "blueshift: could not connect to the upstream server " + config_->upstream.to_string(), why);
  };
  if (rec) {
    unavailable(rec.message());
    co_return false;
  }
  tcp::socket socket(executor);
  asio::steady_timer timer(executor);
  timer.expires_after(std::chrono::milliseconds(config_->connect_timeout_ms));
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
  server_.metrics.upstream_connects.inc();

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
                  std::string(config_->upstream_tls == UpstreamTls::VerifyFull ? "verify-full" : "require") + ")");
      co_return false;
    }
    const bool verify = config_->upstream_tls == UpstreamTls::VerifyFull;
    const std::string name = config_->upstream_server_name.empty() ? config_->upstream.host : config_->upstream_server_name;
    if (auto hs = co_await upstream_->connect_tls(*server_.upstream_tls, name, verify)) {
      unavailable("TLS handshake failed: " + hs.message());
      co_return false;
    }
  }
  std::string bytes;
  // Sent once: the parameters' memory goes now rather than at the end of the session.
  protocol::encode(protocol::StartupPacket{std::exchange(login_->startup, {})}, bytes);
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
    auto [ec, n] = &stream == &client_ ? co_await read_client_step(asio::buffer(space))
                                       : co_await stream.read_some(asio::buffer(space));
    if (ec == asio::error::timed_out && &stream == &client_) co_return false;  // handshake_timed_out() said why
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
      case protocol::Authentication::kCode: {
        auto request = protocol::decode_backend(f.code, f.body);
        if (!request.ok()) {
          end_reason_ = "bad authentication request from upstream";
          final_error_ = fatal("08P01", "blueshift: the upstream server sent a malformed authentication request");
          co_return false;
        }
        const int32_t type = std::get<protocol::Authentication>(*request).type;
        bool sent = false;
        if (type == static_cast<int32_t>(protocol::AuthType::Sasl)) {
          // Channel binding cannot survive TLS termination: offer clients only the
          // mechanisms that do not bind to the (proxy's) TLS channel.
          auto mechanisms = protocol::parse_sasl_mechanisms(std::get<protocol::Authentication>(*request).payload);
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
        login_->handshake_deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(config_->handshake_timeout_ms);
        Frame answer;
        if (!co_await read_frame(client_, client_in_, std::min(config_->max_message_size, kMaxAuthMessageSize), &answer))
          co_return false;
        auto [ec, n] = co_await upstream_->write(asio::buffer(client_in_.head(), answer.size));
        client_in_.consume(answer.size);
        if (ec) {
          end_reason_ = "upstream closed during login";
          co_return false;
        }
        break;
      }
      case protocol::ErrorResponse::kCode: {
        // Authentication failed (or the server refused the session): the client gets the
        // server's own error.
        const bool ok = co_await write_client(raw);
        server_in_.consume(f.size);
        end_reason_ = "login refused by upstream";
        (void)ok;
        co_return false;
      }
      case protocol::BackendKeyData::kCode: {
        auto decoded = protocol::decode_backend(f.code, f.body);
        if (!decoded.ok()) {
          end_reason_ = "bad BackendKeyData from upstream";
          co_return false;
        }
        const auto& real = std::get<protocol::BackendKeyData>(*decoded);
        // The server's own pid (pg_backend_pid(), NOTIFY and pg_terminate_backend agree with
        // it) and a secret of the proxy's: the server's secret never leaves the proxy.
        client_key_ = server_.cancels.issue(BackendKey{real.process_id, real.secret_key}, config_->peer_id);
        identity_.backend_pid = real.process_id;  // reconcile matches the warehouse's records by it
        std::string out;
        protocol::encode(protocol::BackendMessage{protocol::BackendKeyData{client_key_->process_id, client_key_->secret_key}},
                         out);
        server_in_.consume(f.size);
        if (!co_await write_client(out)) co_return false;
        break;
      }
      case protocol::ReadyForQuery::kCode: {
        if (auto z = protocol::decode_backend(f.code, f.body); z.ok())
          conversation_.set_transaction_status(std::get<protocol::ReadyForQuery>(*z).status);
        const bool ok = co_await write_client(raw);
        server_in_.consume(f.size);
        co_return ok;
      }
      default: {
        if (f.code == protocol::ParameterStatus::kCode) conversation_.on_parameter_status(f.body);
        const bool ok = co_await write_client(raw);
        server_in_.consume(f.size);
        if (!ok) co_return false;
        break;
      }
    }
  }
}

// ------------------------------------------------------------------ pumps

awaitable<void> Session::pump_client() {
  std::string out;
  size_t chunk = kReadChunk;
  bool read_more = true;
  for (;;) {
    if (read_more) {
      if (client_in_.size() == 0 && client_in_.capacity() > chunk) client_in_.release();
      error_code ec;
      size_t n = 0;
      if (client_.watched()) {
        while (!client_.read_now(client_in_, chunk, client_waits_, ec, n)) {
          std::tie(ec) = co_await client_.readable(/*may_park=*/true);
          if (ec) break;
        }
        if (ec == Readiness::kParkRequest) {
          parking_ |= 1u;  // task_ended parks it
          co_return;
        }
      } else {
        std::tie(ec, n) = co_await client_.read_into(client_in_, chunk, client_waits_);
      }
      if (ec) {
        if (end_reason_.empty() || end_reason_ == "client closed") end_reason_ = "client closed";
        co_return;
      }
      server_.metrics.bytes_from_client.inc(n);
      traffic_.bytes_received += n;
      if (config_->idle_client_timeout_ms > 0) last_activity_ = std::chrono::steady_clock::now();  // for watchdog()
      if (n >= chunk && chunk < kMaxReadChunk) chunk *= 2;
      else if (n < chunk / 4 && chunk > kReadChunk) chunk /= 2;
    }

    if (server_.console.paused.load(std::memory_order_relaxed) && !conversation_.awaiting_reply() &&
        !co_await wait_while_paused())
      co_return;
    asio::const_buffer pending;
    size_t consumed = 0;
    bool wait = false;
    const bool was_busy = conversation_.awaiting_reply();
    // Between statements (session_reload.cc); the reload may name groups the first time.
    if (!was_busy && take_reloaded_config() && !console_) co_await look_up_groups();
    if (!frame_client_input(out, &pending, &consumed, &wait)) co_return;
    if (!was_busy && conversation_.awaiting_reply())
      busy_since_ = std::chrono::steady_clock::now();  // for watchdog() and the query duration
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
    // A held message is framed again, without a read, once the upstream is quiet or its
    // analysis is done.
    read_more = !wait;
    if (!wait) continue;
    // Not `co_await (c ? a() : b())`: GCC 12 destroys that temporary awaitable twice.
    bool go_on = true;
    if (conversation_.budget().waiting()) {
      co_await await_budget(server_.blocking, conversation_.budget());
    } else if (conversation_.analysis_pending()) {
      go_on = co_await analyse_off_thread();
    } else {
      go_on = co_await upstream_quiet();
    }
    if (!go_on) co_return;
  }
}

awaitable<bool> Session::upstream_quiet() {
  if (!conversation_.awaiting_reply()) co_return true;
  if (!quiet_) quiet_ = std::make_unique<asio::steady_timer>(executor_);
  quiet_->expires_at(asio::steady_timer::time_point::max());
  // pump_server cancels the timer when the last reply arrived; the session's stop
  // cancels this wait too.
  co_await quiet_->async_wait(use_nothrow);
  co_return !stopping_;
}

awaitable<bool> Session::analyse_off_thread() {
  // Only this session waits; an exception (a bug) ends the session, never a decision
  // without the check.
  auto analysed = run_off_thread(server_.blocking, executor_, conversation_.take_analysis());
  TextAnalysis result = co_await std::move(analysed);
  conversation_.analysed(std::move(result));
  co_return !stopping_;
}

awaitable<void> Session::look_up_groups() {
  // The governor's look-up, or without one the router's (tier rules may name groups).
  policies::SessionGroups* governor = server_.governor ? server_.governor.get()
                                      : server_.routing ? server_.routing->groups()
                                                        : nullptr;
  if (governor == nullptr || !governor->needs_group_lookup(identity_.user)) co_return;
  // libpq blocks: the lookup runs on the blocking pool, and only this session waits.
  // (run_off_thread, not co_spawn on the pool: see proxy/off_thread.h.) A lookup that
  // throws leaves the groups unknown, which the checks treat as failed closed.
  try {
    // Named, not temporaries inside the co_await: GCC 12 mishandles those (off_thread.h).
    auto lookup = [governor, user = identity_.user] {
      governor->lookup_groups(user);
      return true;
    };
    auto looked_up = run_off_thread(server_.blocking, executor_, std::move(lookup));
    co_await std::move(looked_up);
  } catch (const std::exception& e) {
    spdlog::warn("group lookup for user {} failed: {}", log_text(identity_.user), e.what());
  }
}

awaitable<void> Session::pump_server() {
  std::string out;
  size_t chunk = kReadChunk;
  for (;;) {
    if (server_in_.size() == 0 && server_in_.capacity() > chunk) server_in_.release();
    const bool quiet = !conversation_.awaiting_reply() && server_stream_remaining_ == 0;
    error_code ec;
    size_t n = 0;
    if (upstream_->watched()) {
      while (!upstream_->read_now(server_in_, chunk, quiet, ec, n)) {
        std::tie(ec) = co_await upstream_->readable(/*may_park=*/true);
        if (ec) break;
      }
      if (ec == Readiness::kParkRequest) {
        parking_ |= 2u;  // task_ended parks it
        co_return;
      }
    } else {
      std::tie(ec, n) = co_await upstream_->read_into(server_in_, chunk, quiet);
    }
    if (ec == asio::error::operation_aborted) co_return;  // the other pump ended the session
    if (ec) {
      if (conversation_.upstream_sent_fatal()) {
        end_reason_ = "upstream ended the session";  // the client already has the server's FATAL
      } else if (end_reason_ != "client terminated") {
        server_.metrics.upstream_failures.inc();
        end_reason_ = "upstream closed: " + ec.message();
        final_error_ = fatal("08006", "blueshift: the upstream server closed the connection unexpectedly",
                             "The query or COPY in progress did not complete; its transaction is lost.");
      }
      co_return;
    }
    server_.metrics.bytes_from_upstream.inc(n);
    traffic_.bytes_sent += n;
    if (config_->idle_client_timeout_ms > 0) last_activity_ = std::chrono::steady_clock::now();  // for watchdog()
    if (config_->upstream_read_timeout_ms > 0) last_server_read_ = std::chrono::steady_clock::now();
    if (n >= chunk && chunk < kMaxReadChunk) chunk *= 2;
    else if (n < chunk / 4 && chunk > kReadChunk) chunk /= 2;

    asio::const_buffer pending;
    size_t consumed = 0;
    const bool was_busy = conversation_.awaiting_reply();
    if (!frame_server_input(out, &pending, &consumed)) co_return;
    server_partial_ = false;  // a slow client is not a stalled server
    error_code wec;
    if (!client_.write_now(pending, wec)) std::tie(wec, std::ignore) = co_await client_.write(pending);
    server_in_.consume(consumed);
    if (wec) {
      if (wec != asio::error::operation_aborted) end_reason_ = "client write failed: " + wec.message();
      co_return;
    }
    server_partial_ = server_in_.size() != 0 || server_stream_remaining_ != 0;
    if (conversation_.retry_due() && !co_await retry_plan()) co_return;
    if (was_busy && !conversation_.awaiting_reply()) {
      count_query();
      // Draining: a session leaves once its query and transaction are done.
      if (server_.draining.load(std::memory_order_relaxed) && idle_between_statements()) {
        end_for_shutdown();
        co_return;
      }
    }
    if (quiet_ && !conversation_.awaiting_reply()) quiet_->cancel();
  }
}

bool Session::frame_client_input(std::string& out, asio::const_buffer* pending, size_t* consumed, bool* wait) {
  const uint8_t* base = client_in_.head();
  const size_t avail = client_in_.size();
  size_t pos = 0;
  size_t run_start = 0;
  bool copying = false;
  out.clear();
  *wait = false;
  bool buffering = false;  // a large message is being buffered whole
  std::string replacement;
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
        protocol::decode_frame({base + pos, avail - pos}, config_->max_message_size, &f, &error);
    if (status == DecodeStatus::Error) {
      end_reason_ = "invalid message from client: " + error;
      final_error_ = fatal("08P01", "blueshift: invalid message from client: " + error);
      return false;
    }
    if (status == DecodeStatus::NeedMoreData) {
      if (f.size > kStreamThreshold && !conversation_.inspects_client(f.code)) {
        conversation_.on_client_streamed(f.code);
        client_waits_ = false;
        client_stream_remaining_ = f.size - (avail - pos);
        pos = avail;
      } else if (f.size > kStreamThreshold) {
        if (!reserve_buffer(&client_reserved_, f.size)) return false;
        buffering = true;
      }
      break;
    }
    if (f.code == protocol::Terminate::kCode) end_reason_ = "client terminated";
    // After a Sync, Query, FunctionCall or Flush the client usually waits for the answer.
    client_waits_ = f.code == protocol::Sync::kCode || f.code == protocol::Query::kCode ||
                    f.code == protocol::FunctionCall::kCode || f.code == protocol::Flush::kCode;
    replacement.clear();
    const Conversation::Verdict verdict = conversation_.on_client(f, &replacement);
    if (verdict == Conversation::Verdict::Forward) {
      pos += f.size;
      continue;
    }
    if (verdict == Conversation::Verdict::Wait || verdict == Conversation::Verdict::Analyse) {
      *wait = true;
      break;
    }
    out.append(reinterpret_cast<const char*>(base + run_start), pos - run_start);
    out.append(replacement);
    copying = true;
    pos += f.size;
    run_start = pos;
  }
  if (!buffering && client_reserved_ != 0) release_buffer(&client_reserved_);  // the large message went
  if (copying) out.append(reinterpret_cast<const char*>(base + run_start), pos - run_start);
  *pending = copying ? asio::buffer(out) : asio::buffer(base + run_start, pos - run_start);
  *consumed = pos;
  return true;
}

bool Session::frame_server_input(std::string& out, asio::const_buffer* pending, size_t* consumed) {
  const uint8_t* base = server_in_.head();
  const size_t avail = server_in_.size();
  size_t pos = 0;
  size_t run_start = 0;
  bool copying = false;
  out.clear();
  bool buffering = false;  // a large message is being buffered whole
  std::string replacement;
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
    if (status == DecodeStatus::NeedMoreData) {
      // Only row and COPY data may be larger than the buffer; the rest is read whole.
      const bool bulk = f.code == protocol::DataRow::kCode || f.code == protocol::CopyDataB::kCode;
      if (f.size > kStreamThreshold && bulk && conversation_.may_stream_server(f.code)) {
        conversation_.on_server_streamed(f.code);
        server_stream_remaining_ = f.size - (avail - pos);
        pos = avail;
      } else if (f.size > kStreamThreshold) {
        if (!bulk && f.size > config_->max_message_size) {
          end_reason_ = "message from upstream over limits.max_message_size";
          final_error_ = fatal("08P01", "blueshift: the upstream server sent a message too large to inspect",
                               "A message of type '" + std::string(1, f.code) + "' and " + std::to_string(f.size) +
                                   " bytes; limits.max_message_size is " + std::to_string(config_->max_message_size) +
                                   ".");
          return false;
        }
        if (!reserve_buffer(&server_reserved_, f.size)) return false;
        buffering = true;
      }
      break;
    }
    replacement.clear();
    if (conversation_.on_server(f, &replacement) == Conversation::Verdict::Forward) {
      pos += f.size;
      continue;
    }
    out.append(reinterpret_cast<const char*>(base + run_start), pos - run_start);
    out.append(replacement);
    copying = true;
    pos += f.size;
    run_start = pos;
  }
  if (!buffering && server_reserved_ != 0) release_buffer(&server_reserved_);  // the large message went
  if (copying) out.append(reinterpret_cast<const char*>(base + run_start), pos - run_start);
  *pending = copying ? asio::buffer(out) : asio::buffer(base + run_start, pos - run_start);
  *consumed = pos;
  return true;
}

awaitable<void> Session::watchdog() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  watchdog_timer_ = &timer;  // take_reloaded_config wakes it to look at new limits
  for (;;) {
    const auto next = next_check(std::chrono::steady_clock::now());
    if (!next) break;
    timer.expires_at(*next);
    co_await timer.async_wait(use_nothrow);
    // stopping_: another task ended (its stop aborts this wait, or it ended after this wait
    // had completed, and a new wait would throw). Aborted otherwise: new limits to look at.
    if (stopping_) break;
  }
  watchdog_timer_ = nullptr;
}

std::optional<std::chrono::steady_clock::time_point> Session::next_check(std::chrono::steady_clock::time_point now) {
  auto next = std::chrono::steady_clock::time_point::max();
  // Whether limit_ms has passed since `since`; if not, the watchdog looks again by then. A
  // limit whose condition does not hold now is looked at again a whole period later, which
  // is before it could pass.
  auto passed = [&](int limit_ms, bool applies, std::chrono::steady_clock::time_point since) {
    if (limit_ms <= 0) return false;
    const auto at = (applies ? since : now) + std::chrono::milliseconds(limit_ms);
    if (applies && now >= at) return true;
    next = std::min(next, at);
    return false;
  };
  const bool busy = conversation_.awaiting_reply();
  if (passed(config_->upstream_read_timeout_ms, server_partial_, last_server_read_)) {
    server_.metrics.upstream_failures.inc();
    end_reason_ = "upstream read timeout";
    final_error_ = fatal("08006", "blueshift: the upstream server stopped in the middle of a message",
                         "Nothing more arrived for " + std::to_string(config_->upstream_read_timeout_ms) +
                             " ms (upstream.read_timeout_ms); the query in progress is lost.");
    return std::nullopt;
  }
  if (passed(config_->query_timeout_ms, busy, busy_since_)) {
    time_out_query();
    return std::nullopt;
  }
  // A running query or COPY is not idleness, however long the server takes.
  if (busy) last_activity_ = now;
  if (passed(config_->idle_client_timeout_ms, true, last_activity_)) {
    end_reason_ = "idle timeout";
    final_error_ = fatal("57P05", "blueshift: terminating connection due to idle timeout (" +
                                      std::to_string(config_->idle_client_timeout_ms) + " ms)");
    return std::nullopt;
  }
  return next;
}

void Session::time_out_query() {
  end_reason_ = "query timeout";
  final_error_ = fatal("57014", "blueshift: terminating connection: the query ran longer than " +
                                    std::to_string(config_->query_timeout_ms) + " ms (limits.query_timeout_ms)");
  cancel_upstream_query();
}

void Session::cancel_upstream_query() {
  // Closing the connection alone may leave the query running on the warehouse.
  const std::optional<BackendKey> real = client_key_ ? server_.cancels.find(*client_key_) : std::nullopt;
  if (!real) return;
  server_.cancels_in_flight.fetch_add(1);  // the drain waits for them before it exits
  asio::co_spawn(executor_, deliver_cancel(login_config_->upstream, *real, login_config_->connect_timeout_ms),
                 [&server = server_](std::exception_ptr, bool) { server.cancels_in_flight.fetch_sub(1); });
}

// ------------------------------------------------------------------ query accounting

void Session::count_query() {
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - busy_since_).count();
  server_.metrics.queries.inc();
  server_.metrics.query_duration.observe(took);
  ++traffic_.queries;
  traffic_.query_seconds += took;
}

}  // namespace blueshift::proxy

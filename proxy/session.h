// One client connection: startup and TLS negotiation, the relayed authentication
// exchange, then two pumps (client -> server, server -> client) until either side ends.
//
//   client --frames--> Conversation::on_client --> forward | answer | plan --> upstream
//   client <--frames-- Conversation::on_server (fold replies) <------------- upstream
//
// What to do with each message is decided by the Asio-free Conversation; this file keeps
// the sockets, TLS, the login relay, the pumps and timers. Most traffic is forwarded as
// the very bytes received; only message boundaries are parsed. All writes to the client happen in the server->client pump (or before/after
// the pumps), so the two pumps never write the same socket.
#pragma once

#include <array>
#include <chrono>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "policies/governor.h"
#include "protocol/auth.h"
#include "protocol/codec.h"
#include "protocol/error_builder.h"
#include "proxy/asio.h"
#include "proxy/buffer.h"
#include "proxy/conversation.h"
#include "proxy/console_rows.h"
#include "proxy/server_context.h"
#include "proxy/stream.h"

namespace blueshift::proxy {

// Shared ownership from inside: a reload may start the watchdog of a logged-in session.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // executor: the I/O thread's loop that runs the session (client's socket belongs to it).
  // Takes the connection's place among those not logged in yet (connection_slots.h).
  Session(ServerContext& server, Executor executor, tcp::socket client);
  ~Session();
  // Runs the session's login, then starts the tasks that carry it to its end; self keeps it
  // alive meanwhile.
  awaitable<void> run(std::shared_ptr<Session> self);
  // Completion handler of a session's coroutines: logs the exception that ended one (a bug).
  static void log_unexpected(std::exception_ptr error);
  // The proxy drains (run on the session's executor, SessionTable::post_each): a session
  // idle between statements ends at once with FATAL 57P01; a busy one ends when its query
  // and transaction are done, or now when force is set (the drain's deadline passed).
  void drain(bool force);
  // For the admin console (admin_console.h), on the session's executor: what it is and
  // does now, and KILL, which ends it as drain(true) would, its query cancelled.
  [[nodiscard]] ClientRow describe() const;
  void kill();

 private:
  enum class Startup { Proceed, Done };
  // The PROXY protocol header before the startup packet (proxy_protocol.trusted): the real
  // client address replaces the balancer's. false: refused (logged), the session ends.
  awaitable<bool> accept_proxy_header();
  bool refuse_proxy_header(const std::string& why);
  awaitable<Startup> negotiate_startup();
  awaitable<std::optional<protocol::StartupPacket>> read_startup_packet();
  // Logs (rate-limited) and ends a session whose startup packet a server drops silently.
  void drop_startup(DroppedStartup kind, const std::string& why);
  void refuse_unanswered_data(const std::string& request);
  // An SSLRequest or GSSENCRequest (code) after one was answered.
  void refuse_repeated_request(int32_t code);
  awaitable<void> forward_cancel(const protocol::CancelRequest& request);
  awaitable<bool> connect_upstream();
  // A client of the database `blueshift`: the admin console logs it in instead.
  awaitable<bool> console_login();
  // PAUSE (admin console): a new statement waits until RESUME; false when the session stops.
  awaitable<bool> wait_while_paused();
  awaitable<bool> relay_authentication();
  awaitable<bool> read_frame(Stream& stream, Buffer& buffer, size_t max_size, protocol::Frame* frame);
  // A read (or TLS handshake) of the client's during login, until handshake_deadline_; an
  // error (timed_out, with end_reason_ and final_error_ set) when the deadline passes first.
  awaitable<std::tuple<error_code, size_t>> read_client_step(asio::mutable_buffer space);
  awaitable<error_code> accept_client_tls();
  void handshake_timed_out(bool answer);  // answer: the client is told, in the protocol
  // The refusal a client over a connection limit gets once its startup packet is read, or
  // null when it may go on (then it holds a place under max_client_connections).
  std::unique_ptr<protocol::ProxyError> over_limit();
  awaitable<bool> write_client(std::string_view bytes);
  awaitable<void> pump_client();
  awaitable<void> pump_server();
  // The framing halves of the pumps, between a read and the write of what it brought: plain
  // functions, so that their locals live on the stack while they run, not in the pumps'
  // coroutine frames, which every idle session keeps. Each sets *pending to what goes to the
  // peer (the input itself, or out when a message was replaced or dropped) and *consumed to
  // the input that covers; false when the session ends.
  // *wait: a message waits until the upstream has answered everything sent before it.
  bool frame_client_input(std::string& out, asio::const_buffer* pending, size_t* consumed, bool* wait);
  bool frame_server_input(std::string& out, asio::const_buffer* pending, size_t* consumed);
  // Until every batch sent upstream has its ReadyForQuery (false when the session stops).
  awaitable<bool> upstream_quiet();
  // A staged transaction's next attempt, after its backoff (session_retry.cc).
  awaitable<bool> retry_plan();
  // Group membership looked up off the I/O thread before the first statement, and again
  // after a reload (which may add the first rule naming groups).
  awaitable<void> look_up_groups();
  // The check of a long governed text, on the blocking pool (false when the session stops).
  awaitable<bool> analyse_off_thread();
  // Counts a large message buffered whole (size bytes) in *reserved against the proxy-wide
  // budget; false, with final_error_ set, when it does not fit. release_buffer() gives it back.
  bool reserve_buffer(size_t* reserved, size_t size);
  void release_buffer(size_t* reserved);
  awaitable<void> watchdog();
  // When the watchdog looks again, or nullopt when a time limit has passed (final_error_ set).
  std::optional<std::chrono::steady_clock::time_point> next_check(std::chrono::steady_clock::time_point now);
  // Ends a query that ran past limits.query_timeout_ms: the server is told to cancel it.
  void time_out_query();
  void cancel_upstream_query();
  // A query ended (ReadyForQuery): counted and timed from busy_since_.
  void count_query();
  [[nodiscard]] bool idle_between_statements() const;
  // Sets the end a shutdown gives: FATAL 57P01, as PostgreSQL's.
  void end_for_shutdown();
  void start_tasks(const std::shared_ptr<Session>& self);
  void start_task(const std::shared_ptr<Session>& self, uint8_t index);
  // Between statements: the configuration a reload stored since login or the last
  // statement, for the limits from this statement on (session_reload.cc); true when it took one.
  bool take_reloaded_config();
  void task_ended(const std::shared_ptr<Session>& self, uint8_t index, std::exception_ptr error);
  // A pump parked through an idle spell (Readiness::kParkRequest) is started again by its
  // stream's readiness (no error), or not at all (the stream went: the session is ending).
  template <uint8_t Index>
  static void wake_task(const std::shared_ptr<void>& target, error_code ec);
  [[nodiscard]] bool tasks_started() const { return tasks_running_ != 0 || parked_ != 0; }
  void unpark(uint8_t bit);
  void release_stop(uint8_t index);
  // Ends pump_client, which ends the others (task_ended), as a client leaving would.
  void end_client_pump();
  // Sends the final error, if any, closes both connections and logs the session's end.
  awaitable<void> finish(std::shared_ptr<Session> self);
  awaitable<void> send_fatal(const protocol::ProxyError& error);


  ServerContext& server_;
  uint64_t table_id_ = 0;  // in server_.sessions
  // The configuration the session's limits follow, replaced between statements by what a
  // reload stored (take_reloaded_config); the one it logged in with, for what its upstream
  // connection was made with (the upstream to send a cancel to). Both stay alive as long as
  // server_.config (reloadable.h).
  const Config* config_;
  const Config* login_config_;
  Stream client_;
  std::optional<Stream> upstream_;
  // What only the login needs, dropped once logged in (an idle session's memory counts).
  struct Login {
    ConnectionSlots::Admission admission;
    ConnectionSlots::Place place;  // an unauthenticated connection's place
    // By when the client must have sent its next login message (limits.handshake_timeout_ms).
    std::chrono::steady_clock::time_point handshake_deadline;
    // From the startup packet; emptied once sent upstream.
    protocol::StartupMessage startup;
  };
  std::unique_ptr<Login> login_ = std::make_unique<Login>();
  bool client_counted_ = false;         // holds a place under max_client_connections
  Buffer client_in_;
  Buffer server_in_;
  Conversation conversation_;

  // Identity, from the startup packet (login_) and the socket.
  bool startup_received_ = false;  // a StartupMessage with parameters arrived
  policies::SessionContext& identity_;  // conversation_'s
  std::string client_address_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_activity_;
  // For query_timeout_ms and upstream_read_timeout_ms (watchdog): since when the upstream owes
  // an answer, its last bytes, and whether pump_server is waiting for the rest of a message.
  std::chrono::steady_clock::time_point busy_since_;
  std::chrono::steady_clock::time_point last_server_read_;
  bool server_partial_ = false;

  std::optional<BackendKey> client_key_;
  // Woken by pump_server when the upstream has answered everything (upstream_quiet).
  std::unique_ptr<asio::steady_timer> quiet_;  // rarely used: not in every idle session

  // Bytes of a large non-inspected message still to stream through, per direction.
  size_t client_stream_remaining_ = 0;
  bool client_waits_ = false;  // the client's last message asked for an answer
  size_t server_stream_remaining_ = 0;
  // Of server_.buffered, for the large message each buffer is filling.
  size_t client_reserved_ = 0;
  size_t server_reserved_ = 0;

  // The logged-in tasks (pump_client, pump_server, watchdog): a signal each, to stop it
  // when another ends. They and finish() are started on executor_.
  std::array<asio::cancellation_signal, 3> stops_;
  asio::steady_timer* watchdog_timer_ = nullptr;  // the running watchdog's, null when none runs
  Executor executor_;
  uint8_t tasks_running_ = 0;
  uint8_t parking_ = 0;  // bit i: task i is ending to park (task_ended decides)
  uint8_t parked_ = 0;   // bit i: task i is parked; its stream holds its Sleeper
  bool client_stop_requested_ = false;  // end_client_pump() was called
  bool stopping_ = false;

  // Set by a pump that ends the session with an error for the client.
  // Behind a pointer: five strings that nearly every session carries unused.
  std::unique_ptr<protocol::ProxyError> final_error_;
  std::string end_reason_ = "client closed";

  // The admin console's view: what this session carried, since when, and the console
  // itself when this is one of its sessions (no upstream then).
  SessionTraffic traffic_;
  std::chrono::system_clock::time_point connected_at_ = std::chrono::system_clock::now();
  bool held_by_pause_ = false;
  std::unique_ptr<class AdminConsole> console_;
};

}  // namespace blueshift::proxy

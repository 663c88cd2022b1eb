// The admin console; see admin_console.h.
#include "proxy/admin_console.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "policies/log_text.h"
#include "protocol/auth.h"
#include "protocol/codec.h"
#include "protocol/error_builder.h"
#include "proxy/console_auth.h"
#include "proxy/console_result.h"
#include "proxy/console_views.h"
#include "proxy/listener.h"
#include "proxy/off_thread.h"
#include "proxy/session.h"

namespace blueshift::proxy {
namespace {

using protocol::ProxyError;

// The largest message the console reads: commands are short.
constexpr size_t kMaxConsoleMessage = 1 << 20;
constexpr size_t kReadChunk = 4096;
// How long SHOW CLIENTS waits for every session's thread to describe it.
constexpr std::chrono::seconds kGatherWait{2};
constexpr std::chrono::milliseconds kGatherPoll{2};

std::string encoded(const protocol::BackendMessage& message) {
  std::string out;
  protocol::encode(message, out);
  return out;
}

std::string auth_request(protocol::AuthType type, std::string payload = {}) {
  return encoded(protocol::Authentication{static_cast<int32_t>(type), std::move(payload)});
}

// AuthenticationSASL offering SCRAM-SHA-256 alone. (Built outside the coroutines: GCC
// cannot keep a braced list's array in a coroutine frame.)
std::string scram_offer() {
  return auth_request(protocol::AuthType::Sasl, protocol::encode_sasl_mechanisms({"SCRAM-SHA-256"}));
}

std::string error(const std::string& sqlstate, const std::string& message, const std::string& detail = {},
                  const std::string& hint = {}) {
  return protocol::encode_error(ProxyError{"ERROR", sqlstate, message, detail, hint});
}

// What a client is told at login, as a server says it: psql reads server_version and the
// encoding; the rest keeps drivers from guessing.
std::string greeting() {
  std::string out = auth_request(protocol::AuthType::Ok);
  const std::pair<const char*, std::string> parameters[] = {
      {"server_version", "15.0 (blueshift console)"}, {"server_encoding", "UTF8"}, {"client_encoding", "UTF8"},
      {"DateStyle", "ISO, MDY"}, {"integer_datetimes", "on"}, {"standard_conforming_strings", "on"}};
  for (const auto& [name, value] : parameters) out += encoded(protocol::ParameterStatus{name, value});
  return out;
}

bool extended_message(char code) {
  return code == protocol::Parse::kCode || code == protocol::Bind::kCode || code == protocol::Describe::kCode ||
         code == protocol::Execute::kCode || code == protocol::Close::kCode || code == protocol::Flush::kCode ||
         code == protocol::Sync::kCode;
}

}  // namespace

AdminConsole::AdminConsole(ServerContext& server, Stream& client, Buffer& in, const policies::SessionContext& identity)
    : server_(server), client_(client), in_(in), identity_(identity) {}

awaitable<bool> AdminConsole::read_message(protocol::Frame* frame) {
  for (;;) {
    std::string why;
    const auto status = protocol::decode_frame(in_.readable(), kMaxConsoleMessage, frame, &why);
    if (status == protocol::DecodeStatus::ReadyForNext) co_return true;
    if (status == protocol::DecodeStatus::Error) {
      end_reason_ = "invalid message from client: " + why;
      const std::string fatal = protocol::encode_error(ProxyError{"FATAL", "08P01", "blueshift: " + why, "", ""});
      co_await write(fatal);
      co_return false;
    }
    auto [ec, n] = co_await client_.read_into(in_, kReadChunk, true);
    if (ec) co_return false;
  }
}

awaitable<bool> AdminConsole::write(std::string bytes) {
  auto [ec, n] = co_await client_.write(asio::buffer(bytes));
  co_return !ec;
}

std::string AdminConsole::refuse_login(const std::string& sqlstate, const std::string& message, const std::string& hint) {
  end_reason_ = "console login refused: " + message;
  return protocol::encode_error(ProxyError{"FATAL", sqlstate, message, "", hint});
}

awaitable<std::optional<std::string>> AdminConsole::read_password_message() {
  protocol::Frame f;
  if (!co_await read_message(&f)) co_return std::nullopt;
  std::optional<std::string> payload;
  if (f.code == protocol::AuthResponse::kCode) payload.emplace(reinterpret_cast<const char*>(f.body.data()), f.body.size());
  in_.consume(f.size);
  if (!payload) end_reason_ = "console login: expected a password message";
  co_return payload;
}

awaitable<bool> AdminConsole::login() {
  const ConsoleSettings* settings = server_.config->console.get();
  // (The refusals are built before the co_await: GCC mishandles temporaries in its operand.)
  if (settings == nullptr || !settings->enabled()) {
    const std::string refusal = refuse_login("3D000", "database \"blueshift\" does not exist",
                                             "The admin console is off: list its users under console.users in the configuration.");
    co_await write(refusal);
    co_return false;
  }
  const ConsoleUser* user = settings->find(identity_.user);
  bool ok = false;
  if (user != nullptr && !user->md5.empty()) {
    ok = co_await authenticate_md5(user->md5);
  } else {
    // A name that is no admin goes through the same exchange against a verifier no
    // password matches: the answer does not tell which names are admins.
    static const ScramVerifier nobody = make_scram_verifier(random_nonce());
    const ScramVerifier* verifier = user != nullptr ? &*user->scram : &nobody;
    ok = co_await authenticate_scram(*verifier);
    ok = ok && user != nullptr;
  }
  if (!ok) {
    if (end_reason_ != "client closed" && end_reason_.rfind("console login", 0) != 0) co_return false;
    spdlog::warn("admin console: login refused for user {} from {}", policies::log_text(identity_.user),
                 identity_.client_address);
    const std::string refusal =
        refuse_login("28P01", "password authentication failed for user \"" + identity_.user + "\"", "");
    co_await write(refusal);
    co_return false;
  }
  spdlog::info("admin console: user {} logged in from {}", policies::log_text(identity_.user), identity_.client_address);
  co_return co_await write(greeting() + encoded(protocol::ReadyForQuery{'I'}));
}

awaitable<bool> AdminConsole::authenticate_scram(const ScramVerifier& verifier) {
  if (!co_await write(scram_offer())) co_return false;
  const auto initial = co_await read_password_message();
  if (!initial) co_return false;
  const auto response = protocol::parse_sasl_initial_response(*initial);
  ScramExchange exchange(verifier, random_nonce());
  std::optional<std::string> server_first;
  if (response.ok() && response->mechanism == "SCRAM-SHA-256" && response->data)
    server_first = exchange.first(*response->data);
  if (!server_first) {
    end_reason_ = "console login: malformed SCRAM message";
    co_return false;
  }
  if (!co_await write(auth_request(protocol::AuthType::SaslContinue, *server_first))) co_return false;
  const auto client_final = co_await read_password_message();
  if (!client_final) co_return false;
  const auto server_final = exchange.final(*client_final);
  end_reason_ = "console login: wrong password";
  if (!server_final) co_return false;
  end_reason_ = "client closed";
  co_return co_await write(auth_request(protocol::AuthType::SaslFinal, *server_final));
}

awaitable<bool> AdminConsole::authenticate_md5(const std::string& stored) {
  const std::string salt = random_md5_salt();
  if (!co_await write(auth_request(protocol::AuthType::Md5Password, salt)))
    co_return false;
  auto answer = co_await read_password_message();
  if (!answer) co_return false;
  if (!answer->empty() && answer->back() == '\0') answer->pop_back();
  end_reason_ = "console login: wrong password";
  if (!md5_response_matches(stored, salt, *answer)) co_return false;
  end_reason_ = "client closed";
  co_return true;
}

awaitable<void> AdminConsole::serve() {
  for (;;) {
    protocol::Frame f;
    if (!co_await read_message(&f)) co_return;
    const char code = f.code;
    std::string reply;
    if (code == protocol::Terminate::kCode) {
      end_reason_ = "client terminated";
      co_return;
    }
    if (code == protocol::Query::kCode) {
      auto query = protocol::decode_frontend(code, f.body);
      in_.consume(f.size);
      // (No co_await inside a conditional expression: GCC destroys its temporaries twice.)
      if (query.ok()) {
        const std::string sql = std::get<protocol::Query>(*query).sql;
        reply = co_await answer(sql);
      } else {
        reply = error("08P01", "invalid Query message: " + std::string(query.status().message()));
      }
    } else if (extended_message(code)) {
      if (!co_await refuse_extended()) co_return;
      continue;
    } else {
      in_.consume(f.size);
      if (code != protocol::FunctionCall::kCode) continue;  // stray COPY data: nothing to answer
      reply = error("0A000", "the admin console does not call functions", "", std::string(kConsoleCommands));
    }
    if (!co_await write(reply + encoded(protocol::ReadyForQuery{'I'}))) co_return;
  }
}

awaitable<bool> AdminConsole::refuse_extended() {
  // As a server after an error: everything up to Sync is skipped, then one ReadyForQuery.
  bool told = false;
  for (;;) {
    protocol::Frame f;
    if (!co_await read_message(&f)) co_return false;
    const char code = f.code;
    in_.consume(f.size);
    if (!told) {
      told = true;
      const std::string refusal = error("0A000", "the admin console takes simple queries only",
                                        "The extended query protocol (Parse/Bind/Execute) is not served here.",
                                        "Use psql, or your driver's simple query mode. " + std::string(kConsoleCommands));
      if (!co_await write(refusal)) co_return false;
    }
    if (code == protocol::Sync::kCode) co_return co_await write(encoded(protocol::ReadyForQuery{'I'}));
    if (code == protocol::Terminate::kCode) co_return false;
  }
}

awaitable<std::string> AdminConsole::answer(std::string_view sql) {
  const ConsoleCommand command = parse_console_command(sql);
  if (command.kind == ConsoleCommand::Kind::Empty) co_return encoded(protocol::EmptyQueryResponse{});
  if (command.kind == ConsoleCommand::Kind::Unknown)
    co_return error("42601", "blueshift admin console: unknown command", command.error, std::string(kConsoleCommands));
  spdlog::info("admin console: user {} ran {}", policies::log_text(identity_.user), policies::log_text(std::string(sql)));
  std::string reply = co_await run(command);
  co_return reply;
}

awaitable<std::string> AdminConsole::run(const ConsoleCommand& command) {
  using Kind = ConsoleCommand::Kind;
  switch (command.kind) {
    case Kind::ShowClients:
    case Kind::ShowServers:
    case Kind::ShowStats: {
      const std::vector<ClientRow> sessions = co_await gather_sessions();
      co_return show_sessions(command.kind, sessions);
    }
    case Kind::ShowRules:
      co_return rules_result(server_.governor ? server_.governor->rule_tallies() : std::vector<policies::RuleTally>{})
          .encode("SHOW");
    case Kind::ShowConfig: co_return config_result(*server_.config, io_thread_plan(*server_.config)).encode("SHOW");
    case Kind::ShowVersion: co_return version_result().encode("SHOW");
    case Kind::Reload: {
      std::string reply = co_await reload();
      co_return reply;
    }
    case Kind::Pause: {
      std::string reply = co_await pause();
      co_return reply;
    }
    case Kind::Resume:
      server_.console.paused.store(false);
      co_return encode_command_complete("RESUME");
    case Kind::Kill: {
      std::string reply = co_await kill(command.client_id);
      co_return reply;
    }
    case Kind::Shutdown:
      if (server_.console.shutdown) server_.console.shutdown();
      co_return encode_command_complete("SHUTDOWN");
    default: co_return error("XX000", "blueshift admin console: command not handled");
  }
}

std::string AdminConsole::show_sessions(ConsoleCommand::Kind kind, const std::vector<ClientRow>& sessions) const {
  if (kind == ConsoleCommand::Kind::ShowClients) return clients_result(sessions).encode("SHOW");
  if (kind == ConsoleCommand::Kind::ShowServers) return servers_result(sessions).encode("SHOW");
  return stats_result(sessions, server_.ended_sessions.read()).encode("SHOW");
}

awaitable<std::vector<ClientRow>> AdminConsole::gather_sessions() {
  struct Gathered {
    std::mutex mutex;
    std::vector<ClientRow> rows;
    std::atomic<size_t> done{0};
  };
  auto gathered = std::make_shared<Gathered>();
  const size_t posted = server_.sessions.post_each([gathered](Session& s) {
    ClientRow row = s.describe();
    std::lock_guard lock(gathered->mutex);
    gathered->rows.push_back(std::move(row));
    gathered->done.fetch_add(1);
  });
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + kGatherWait;
  while (gathered->done.load() < posted && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(kGatherPoll);
    auto [ec] = co_await timer.async_wait(use_nothrow);
    if (ec) break;  // the console session is ending
  }
  std::lock_guard lock(gathered->mutex);
  std::vector<ClientRow> rows = gathered->rows;
  std::sort(rows.begin(), rows.end(), [](const ClientRow& a, const ClientRow& b) { return a.id < b.id; });
  co_return rows;
}

awaitable<std::string> AdminConsole::reload() {
  // Reading files and the catalog blocks: off this I/O thread (run_off_thread, not co_spawn
  // on the pool: see proxy/off_thread.h).
  auto task = [reload = server_.console.reload]() -> std::string {
    return reload ? reload() : std::string("reload is not available");
  };
  const Executor home = co_await asio::this_coro::executor;
  std::string why;
  try {
    auto done = run_off_thread(server_.blocking, home, std::move(task));
    why = co_await std::move(done);
  } catch (const std::exception&) {
    why = "the reload ended by an unexpected exception";
  }
  if (why.empty()) co_return encode_command_complete("RELOAD");
  co_return error("F0000", "reload failed, the running configuration stays", why,
                  "Fix the file (" + server_.config->source_path + ") and run RELOAD again.");
}

awaitable<std::string> AdminConsole::kill(uint64_t id) {
  if (!server_.sessions.post_to(id, [](Session& s) { s.kill(); }))
    co_return error("42704", "no client with id " + std::to_string(id), "", "SHOW CLIENTS lists the ids.");
  co_return encode_command_complete("KILL");
}

}  // namespace blueshift::proxy

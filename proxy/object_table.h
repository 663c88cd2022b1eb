// Prepared statements or portals as the server has them, learnt from the server's replies
// rather than from the client's requests: each name's confirmed state, plus the changes
// still in flight (a Parse, Bind or Close whose completion has not arrived). A request the
// server skipped or refused never takes effect, so a Bind is decided against everything
// its statement may be on the server now (every candidate), never against a guess.
//
// Only names the proxy has something to say about are kept (a Bind-time policy check, a
// proxy-answered or planned statement): ordinary traffic leaves the table empty.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/messages.h"
#include "rewrite/plan.h"
#include "rewrite/proxy_statement.h"
#include "rewrite/sql_prepared.h"

namespace blueshift::policies {
struct PreparedCheck;
}

namespace blueshift::proxy {

struct BindRoute;  // proxy/bind_routing.h

// A statement prepared during a dry run: its text as routed, and the highest $n it uses.
struct DryRunStatement {
  std::string sql;
  int params = 0;
};

struct ObjectInfo {
  // Statements: the policy check their Bind must pass (null: none).
  std::shared_ptr<const policies::PreparedCheck> check;
  // A statement the proxy answers (SET/SHOW blueshift.*); upstream it is an empty statement.
  std::shared_ptr<const rewrite::ProxyStatement> answer;
  // A planned statement; upstream it is an empty statement, run as the plan's steps.
  rewrite::PlanPtr plan;
  std::vector<int32_t> param_types;  // planned statements: as the client's Parse declared them
  // Planned statements: the check of the plan's steps each Bind runs with its values
  // (proxy/plan_governed.h; null: their decision needs none).
  std::shared_ptr<const policies::PreparedCheck> steps_check;
  // Portals of a planned statement: the client's Bind (its parameters and formats).
  std::shared_ptr<const protocol::Bind> bind;
  // Prepared during a dry run (proxy/dry_run.cc): the text to estimate at each Bind (as
  // routed; upstream the statement is empty), or, null with dry_run_runs, a statement that
  // runs as usual (BEGIN, SET, SHOW). Portals of it: the reply its Execute gets.
  std::shared_ptr<const DryRunStatement> dry_run;
  bool dry_run_runs = false;
  std::shared_ptr<const std::string> dry_run_reply;  // DataRows and CommandComplete
  // Made by SQL PREPARE: known (its EXECUTE is checked), even without a check.
  bool sql_prepared = false;
  // A statement (and its portals) whose text is SQL PREPARE/EXECUTE/DEALLOCATE/DISCARD
  // ALL: applied and checked at its Execute (conversation_sql_prepared.cc).
  std::shared_ptr<const rewrite::SqlPreparedText> sql_steps;
  // A statement routed at Parse whose $n dates route each Bind (proxy/bind_routing.h).
  std::shared_ptr<const BindRoute> bind_route;
};
using InfoPtr = std::shared_ptr<const ObjectInfo>;  // null: nothing to say about the object

class ObjectTable {
 public:
  struct Candidate {
    uint64_t ticket = 0;
    uint64_t batch = 0;      // the batch of the request that made it
    bool confirmed = false;  // the server confirmed it (at most one, first)
    InfoPtr info;
  };

  // A request sent upstream that gives `name` the state `info` (null for a Close, or an
  // object the proxy has nothing to say about); returns its ticket.
  uint64_t request(std::string_view name, InfoPtr info, uint64_t batch);
  // Whether a request for `name` with null info needs recording (it shadows candidates).
  [[nodiscard]] bool tracks(std::string_view name) const { return names_ && names_->count(name) > 0; }
  // The request's completion arrived: it is now the server's state.
  void confirm(std::string_view name, uint64_t ticket);
  // The request failed or was skipped: it never took effect.
  void fail(std::string_view name, uint64_t ticket);
  // A transaction ended with the batch `batch`: portals made up to it are gone.
  void end_transaction(uint64_t batch);
  // Everything `name` may be on the server now; null when the proxy knows nothing of it.
  [[nodiscard]] const std::vector<Candidate>* find(std::string_view name) const;
  [[nodiscard]] bool empty() const { return !names_ || names_->empty(); }
  // Every name with something recorded (DEALLOCATE ALL drops them all).
  [[nodiscard]] std::vector<std::string> names() const;

 private:
  void tidy(std::string_view name);
  using Names = std::map<std::string, std::vector<Candidate>, std::less<>>;
  // Made at the first request: most sessions never prepare anything, and an idle session's
  // memory counts (48 bytes of empty map each, twice).
  std::unique_ptr<Names> names_;
  uint64_t next_ticket_ = 1;
};

}  // namespace blueshift::proxy

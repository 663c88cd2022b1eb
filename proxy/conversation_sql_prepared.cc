// Conversation, SQL-level prepared statements: PREPARE, EXECUTE, DEALLOCATE [ALL] and
// DISCARD ALL in a Query's text, or in an extended-protocol statement at its Execute.
//
// The server keeps SQL and protocol prepared statements in one namespace, so they live in
// the same ObjectTable: a PREPARE is a request on its name, taking effect when the server
// answers it (CommandComplete "PREPARE"), and dropped when it fails or is skipped; as on
// PostgreSQL, a ROLLBACK does not undo it. Each EXECUTE is decided with its arguments
// substituted, against everything the name may be on the server (as a Bind is), and an
// EXECUTE of a name the proxy never saw prepared fails closed.
#include "proxy/conversation.h"
#include "proxy/expectation.h"
#include "proxy/sql_steps_checked.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace blueshift::proxy {

namespace {

using rewrite::SqlPreparedStep;

policies::ExecuteArgument argument(const rewrite::SqlArgument& a, const protocol::Bind* bind) {
  switch (a.kind) {
    case rewrite::SqlArgument::Kind::Constant: return {a.text, true};
    case rewrite::SqlArgument::Kind::Null: return {std::nullopt, true};
    case rewrite::SqlArgument::Kind::Param: {
      // The enclosing statement's Bind value, when it is text (binary: not read here).
      if (bind == nullptr || a.param < 1 || static_cast<size_t>(a.param) > bind->params.size()) return {"", false};
      const size_t i = static_cast<size_t>(a.param) - 1;
      const auto& f = bind->param_formats;
      const int16_t format = f.empty() ? 0 : f.size() == 1 ? f[0] : i < f.size() ? f[i] : 0;
      if (format != 0) return {"", false};
      return {bind->params[i], true};
    }
    case rewrite::SqlArgument::Kind::Unknown: break;
  }
  return {"", false};
}

}  // namespace

policies::Verdict with_execute_charges(const policies::Verdict& v, const SqlStepsChecked& checked) {
  policies::Verdict out = v;
  if (checked.charges.empty()) return out;
  auto sum = std::make_shared<policies::BudgetCharge>();
  std::vector<std::function<void()>> ran;
  auto add = [&](const policies::BudgetCharge& c) {
    sum->cost += c.cost;
    for (const auto& a : c.accounts) {
      const auto same = [&](const policies::BudgetAccount& b) { return b.key() == a.key(); };
      if (std::none_of(sum->accounts.begin(), sum->accounts.end(), same)) sum->accounts.push_back(a);
    }
    ran.push_back(c.ran);
  };
  if (v.budget) add(*v.budget);
  for (const auto& c : checked.charges) add(*c);
  sum->ran = [ran = std::move(ran)] {
    for (const auto& r : ran) r();
  };
  out.budget = std::move(sum);
  return out;
}

SqlStepsChecked Conversation::check_sql_steps(const rewrite::SqlPreparedText& text, const protocol::Bind* bind,
                                              const std::vector<std::optional<policies::Checked>>* prepares) {
  SqlStepsChecked out;
  policies::Governor& governor = *options_->governor;
  if (text.unread) {
    out.refusal = governor.check_execute(nullptr, true, {}, identity_);
    if (out.refusal->outcome != policies::Verdict::Outcome::Refuse) out.refusal.reset();
    return out;
  }
  // What the text's own earlier steps made of a name: the server runs them first, and
  // skips the rest of the text after one fails. Null: deallocated.
  std::map<std::string, std::shared_ptr<const policies::PreparedCheck>, std::less<>> earlier;
  std::set<std::string, std::less<>> unknown_here;
  bool all_gone = false;
  out.prepares.resize(text.steps.size());
  for (size_t i = 0; i < text.steps.size() && !out.refusal; ++i) {
    const SqlPreparedStep& s = text.steps[i];
    switch (s.kind) {
      case SqlPreparedStep::Kind::Prepare: {
        if (s.query.empty()) {
          unknown_here.insert(s.name);
          earlier.erase(s.name);
          break;
        }
        const bool made = prepares != nullptr && i < prepares->size() && (*prepares)[i];
        policies::Checked c = made ? *(*prepares)[i] : governor.check_parse(s.query, identity_, s.param_types);
        if (c.verdict.outcome == policies::Verdict::Outcome::Refuse) {
          out.refusal = c.verdict;
          break;
        }
        if (c.verdict.outcome == policies::Verdict::Outcome::Notice) out.notices.push_back(c.verdict);
        out.prepares[i] = c.deferred;
        earlier[s.name] = c.deferred;
        unknown_here.erase(s.name);
        break;
      }
      case SqlPreparedStep::Kind::Deallocate:
        earlier[s.name] = nullptr;
        unknown_here.erase(s.name);
        break;
      case SqlPreparedStep::Kind::DeallocateAll:
        earlier.clear();
        unknown_here.clear();
        all_gone = true;
        break;
      case SqlPreparedStep::Kind::Execute: {
        std::vector<policies::ExecuteArgument> args;
        for (const auto& a : s.args) args.push_back(argument(a, bind));
        const auto decide = [&](const policies::PreparedCheck* check, bool unknown) {
          policies::Verdict v = governor.check_execute(check, unknown, args, identity_);
          if (v.budget) out.charges.push_back(v.budget);
          if (v.outcome == policies::Verdict::Outcome::Refuse) out.refusal = std::move(v);
          else if (v.outcome == policies::Verdict::Outcome::Notice) out.notices.push_back(std::move(v));
        };
        if (unknown_here.count(s.name)) {
          decide(nullptr, true);
        } else if (auto it = earlier.find(s.name); it != earlier.end()) {
          decide(it->second.get(), false);  // null after a DEALLOCATE: the server refuses it
        } else if (!all_gone) {
          const auto* candidates = statements_.find(s.name);
          if (candidates == nullptr) {
            decide(nullptr, true);
            break;
          }
          for (const auto& c : in_effect_at_bind(*candidates)) {
            if (out.refusal) break;
            // Null info: a name the proxy has nothing on (none, or one it did not see made).
            if (!c.info || (!c.info->sql_prepared && !c.info->check && !c.info->plan && !c.info->answer)) {
              decide(nullptr, true);
            } else {
              decide(c.info->check.get(), false);
            }
          }
        }
        break;
      }
    }
  }
  return out;
}

void Conversation::record_sql_steps(const rewrite::SqlPreparedText& text, SqlStepsChecked& checked, ReplyPosition at,
                                    bool whole_batch) {
  Expectation e;
  e.kind = Expectation::Kind::SqlPrepared;
  e.at = at;
  e.whole_batch = whole_batch;
  for (size_t i = 0; i < text.steps.size(); ++i) {
    const SqlPreparedStep& s = text.steps[i];
    SqlRequest r;
    r.tag = s.tag;
    if (s.kind == SqlPreparedStep::Kind::Prepare && checked.prepares[i]) {
      auto info = std::make_shared<ObjectInfo>();
      info->check = *checked.prepares[i];
      info->sql_prepared = true;
      r.tickets.emplace_back(s.name, statements_.request(s.name, std::move(info), at.batch));
    } else if (s.kind == SqlPreparedStep::Kind::Prepare || s.kind == SqlPreparedStep::Kind::Deallocate) {
      // A body not read: null info, so that the name is unknown once this takes effect.
      if (s.kind == SqlPreparedStep::Kind::Prepare || statements_.tracks(s.name))
        r.tickets.emplace_back(s.name, statements_.request(s.name, nullptr, at.batch));
    } else if (s.kind == SqlPreparedStep::Kind::DeallocateAll) {
      for (const auto& name : statements_.names()) r.tickets.emplace_back(name, statements_.request(name, nullptr, at.batch));
    } else {
      continue;  // EXECUTE changes no name
    }
    e.sql_requests.push_back(std::move(r));
  }
  for (const auto& v : checked.notices) notice(v, at);
  if (!e.sql_requests.empty()) expect(std::move(e));
}

void Conversation::fold_sql_prepared(Expectation& e, const protocol::Frame& f) {
  if (f.code != protocol::CommandComplete::kCode || e.sql_requests.empty()) return;
  auto decoded = protocol::decode_backend(f.code, f.body);
  if (!decoded.ok() || std::get<protocol::CommandComplete>(*decoded).tag != e.sql_requests.front().tag) return;
  for (const auto& [name, ticket] : e.sql_requests.front().tickets) statements_.confirm(name, ticket);
  e.sql_requests.erase(e.sql_requests.begin());
}

void Conversation::finish_sql_prepared(Expectation& e) {
  // Failed, or skipped after an earlier error: they never took effect.
  for (const auto& r : e.sql_requests) {
    for (const auto& [name, ticket] : r.tickets) statements_.fail(name, ticket);
  }
}

}  // namespace blueshift::proxy

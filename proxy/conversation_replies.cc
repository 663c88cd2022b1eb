// Conversation, server side: every server message after login, folded per the
// expectations the client side left at its reply position (conversation.cc).
#include <limits>

#include "proxy/conversation.h"
#include "proxy/expectation.h"
#include "proxy/plan_retry.h"
#include "proxy/stage_error.h"
#include "proxy/upsert_batch.h"
#include "rewrite/identifiers.h"

namespace blueshift::proxy {
namespace {

using protocol::Frame;
using protocol::ProxyError;

std::string command_complete(std::string tag) { return encode_backend(protocol::CommandComplete{std::move(tag)}); }

ProxyError aborted_block_error() {
  return ProxyError{"ERROR", "25P02", "current transaction is aborted, commands ignored until end of transaction block",
                    "", ""};
}

}  // namespace

bool Conversation::may_stream_server(char code) const {
  // A plan step's replies may be swallowed, which needs them whole.
  for (const auto& e : pending_) {
    if (e.at.batch == positions_.current().batch && e.kind == Expectation::Kind::PlanStep) return false;
  }
  return true;
}

void Conversation::on_server_streamed(char code) { positions_.on_backend(code); }

Conversation::Verdict Conversation::on_server(const Frame& f, std::string* out) {
  // Rows and completions of ordinary traffic: two tests and an increment.
  const bool stateful = f.code == protocol::ReadyForQuery::kCode || f.code == protocol::ParameterStatus::kCode ||
                        f.code == protocol::ErrorResponse::kCode;
  if (stateful) note_server_state(f);
  const Verdict v = pending_.empty() ? Verdict::Forward : fold(f, out);
  // fold() leaves the reply position where it was: this error's.
  if (f.code == protocol::ErrorResponse::kCode && seen().retryable_run) release_skipped_cut_run(positions_.current());
  positions_.on_backend(f.code);
  return v;
}

void Conversation::note_server_state(const Frame& f) {
  switch (f.code) {
    case protocol::ReadyForQuery::kCode:
      if (auto z = protocol::decode_backend(f.code, f.body); z.ok())
        transaction_status_ = std::get<protocol::ReadyForQuery>(*z).status;
      // Portals live until the end of their transaction.
      if (transaction_status_ == 'I' && !portals_.empty()) portals_.end_transaction(positions_.current().batch);
      upstream_skipping_ = false;
      break;
    case protocol::ParameterStatus::kCode:
      on_parameter_status(f.body);
      break;
    case protocol::ErrorResponse::kCode: {
      auto decoded = protocol::decode_backend(f.code, f.body);
      if (!decoded.ok()) break;
      const auto& error = std::get<protocol::ErrorResponse>(*decoded);
      const std::string* severity = error.find('V');
      if (severity == nullptr) severity = error.find('S');
      upstream_sent_fatal_ = severity != nullptr && (*severity == "FATAL" || *severity == "PANIC");
      upstream_skipping_ = true;
      break;
    }
    default:
      break;
  }
}

void Conversation::on_parameter_status(std::span<const uint8_t> body) {
  auto decoded = protocol::decode_backend(protocol::ParameterStatus::kCode, body);
  if (!decoded.ok()) return;
  const auto& p = std::get<protocol::ParameterStatus>(*decoded);
  if (p.name == "search_path") {
    // The server's own word (servers that report it): authoritative.
    identity_.search_path = rewrite::parse_search_path(p.value);
    identity_.search_path_uncertain = false;
  }
}

Conversation::Verdict Conversation::fold(const Frame& f, std::string* out) {
  const ReplyPosition at = positions_.current();
  if (f.code == protocol::ReadyForQuery::kCode) {
    std::string prefix;
    bool swallow = false;
    finish_batch(transaction_status_, &prefix, &swallow);
    if (prefix.empty() && !swallow) return Verdict::Forward;
    *out = std::move(prefix);
    if (!swallow) out->append(encode_backend(protocol::ReadyForQuery{transaction_status_}));
    return Verdict::Replace;
  }
  bool replaced = false;
  // Expectations are in send order and positions only grow: those of an earlier position
  // are done with, and the first of a later one ends the search. A pipelined batch (psycopg's
  // executemany, a JDBC batch) of planned Executes holds thousands; scanning all of them
  // for every reply made it quadratic.
  while (fold_from_ < pending_.size() && pending_[fold_from_].at.batch == at.batch &&
         !pending_[fold_from_].whole_batch && pending_[fold_from_].at.completion < at.completion)
    ++fold_from_;
  for (size_t i = fold_from_; i < pending_.size(); ++i) {
    Expectation& e = pending_[i];
    if (e.at.batch != at.batch) break;  // later batches; earlier ones ended at their ReadyForQuery
    if (!e.whole_batch && e.at.completion > at.completion) break;
    const bool mine = e.whole_batch ? at.completion >= e.at.completion : at.completion == e.at.completion;
    if (!mine) continue;
    std::string replacement;
    // Every expectation at the position sees the message (an error fails them all); the
    // first replacement is what the client gets.
    if (fold_one(e, f, &replacement) && !replaced) {
      *out = std::move(replacement);
      replaced = true;
    }
  }
  return replaced ? Verdict::Replace : Verdict::Forward;
}

namespace {

// A step's error as the client's statement's: its position moved to the same place in the
// client's text (`offset`: where the step starts in the text sent), the staging table named
// as the target (stage_error.h); false when the error needs no change.
bool client_error(const rewrite::Plan& plan, const rewrite::PlanStep& step, int offset, const Frame& f,
                  std::string* out) {
  const bool shifted = step.position_shift != 0 || offset != 0;
  if (!shifted && !plan.staging) return false;
  auto decoded = protocol::decode_backend(f.code, f.body);
  if (!decoded.ok()) return false;
  auto& error = std::get<protocol::ErrorResponse>(*decoded);
  const bool renamed = plan.staging && name_target(*plan.staging, error);
  if (!shifted && !renamed) return false;
  for (auto& [code, value] : error.fields) {
    const int at = code == 'P' ? std::atoi(value.c_str()) : 0;
    if (at > 0) value = std::to_string(std::max(1, at - offset + step.position_shift));
  }
  protocol::encode(protocol::BackendMessage{std::move(error)}, *out);
  return true;
}

// The script's next statement: its replies come after the previous one's CommandComplete.
void next_script_step(Expectation& e) {
  PlanRun& run = *e.run;
  if (!e.script || run.script_at + 1 >= run.script.steps.size()) return;
  const ScriptStep& next = run.script.steps[++run.script_at];
  e.step = next.step;
  e.replies = next.step->replies;
  e.text_offset = next.offset;
}

std::string sqlstate_of(const Frame& f) {
  auto decoded = protocol::decode_backend(f.code, f.body);
  const std::string* code = decoded.ok() ? std::get<protocol::ErrorResponse>(*decoded).find('C') : nullptr;
  return code != nullptr ? *code : "";
}

// A folded run whose row n fails where it loads: rows before it completed, as they would
// have one by one (DO NOTHING's counts are known only later: its error comes first).
std::string rows_before_error(const Expectation& e) {
  const PlanRun& run = *e.run;
  if (run.replay_row) return held_replies(run, 0);  // a row replayed: any step's error
  if (run.held.empty() || e.step == nullptr || !e.step->uses_params || run.plan->fold->flags) return "";
  return held_replies(run, e.row);
}

// The client's reply to a run's statement: its tag (a folded run: each held message's reply).
std::string client_tag(const PlanRun& run) {
  return run.held.empty() ? command_complete(rewrite::plan_tag(*run.plan, run.rows))
                          : held_replies(run, std::numeric_limits<size_t>::max());
}

// A plan step's reply: whether it is swallowed, or what replaces it (*out).
bool fold_plan_step(Expectation& e, const Frame& f, std::string* out) {
  PlanRun& run = *e.run;
  switch (f.code) {
    case protocol::ErrorResponse::kCode: {
      // The first error is the client's statement's error; the rest follow from it
      // (25P02 in the failed block), and the server skips the rest of an extended batch.
      if (run.error_sent || run.retrying || retry_on_failure(run, f)) return true;  // plan_retry.h
      if (run.replaying || replay_on_failure(run)) return true;                        // upsert_batch.h
      run.error_sent = true;
      run.sqlstate = e.step != nullptr && e.step->error_as ? e.step->error_as->sqlstate : sqlstate_of(f);
      std::string error;
      bool replaced = false;
      if (e.step != nullptr && e.step->error_as) {
        error = protocol::encode_error(
            ProxyError{"ERROR", e.step->error_as->sqlstate, e.step->error_as->message, "", e.step->error_as->hint});
        replaced = true;
      } else if (e.step != nullptr) {
        replaced = client_error(*run.plan, *e.step, e.text_offset, f, &error);
      }
      const std::string before = rows_before_error(e);
      if (before.empty()) {
        if (replaced) *out = std::move(error);
        return replaced;
      }
      *out = before + (replaced ? error : frame_bytes(f));
      return true;
    }
    case protocol::ParameterStatus::kCode:
    case protocol::NotificationResponse::kCode:
      return false;  // the session's, not the step's
    case protocol::CopyInResponse::kCode:
      return false;  // an upsert COPY's load asks the client for its rows
    case protocol::DataRow::kCode:
      if (e.replies == rewrite::PlanStep::Replies::Flags) note_flag(run, f);
      return e.replies != rewrite::PlanStep::Replies::Rows;
    case protocol::RowDescription::kCode:
      return e.replies != rewrite::PlanStep::Replies::Rows;
    case protocol::CommandComplete::kCode: {
      if (e.replies == rewrite::PlanStep::Replies::Count || e.replies == rewrite::PlanStep::Replies::Rows) {
        auto decoded = protocol::decode_backend(f.code, f.body);
        if (decoded.ok()) run.rows += rewrite::tag_rows(std::get<protocol::CommandComplete>(*decoded).tag);
      }
      // Extended protocol: the last step's Execute completes the client's; simple, or a run
      // that may be retried up to its commit (plan_retry.h): its ReadyForQuery does (finish_one).
      if (e.last && e.execute && !run.error_sent && !run.own_transaction) {
        *out = client_tag(run);
        run.done = true;
      }
      next_script_step(e);
      return true;
    }
    default:
      return true;
  }
}

}  // namespace

bool Conversation::fold_one(Expectation& e, const Frame& f, std::string* out) {
  const bool error = f.code == protocol::ErrorResponse::kCode;
  if (error) e.failed = true;
  switch (e.kind) {
    case Expectation::Kind::Refusal:
      if (!error || e.completed || positions_.current().completion != e.at.completion) return false;
      e.completed = true;  // one error replaced, once
      *out = std::move(e.bytes);
      return true;
    case Expectation::Kind::Statement:
    case Expectation::Kind::Portal:
      if (ReplyPositions::is_completion(f.code)) {
        e.completed = true;
        (e.kind == Expectation::Kind::Statement ? statements_ : portals_).confirm(e.name, e.ticket);
      }
      return false;
    case Expectation::Kind::AnswerQuery:
      return f.code == protocol::EmptyQueryResponse::kCode;  // swallowed: answered at ReadyForQuery
    case Expectation::Kind::AnswerDescribe:
      if (f.code != protocol::NoData::kCode || e.bytes.empty()) return false;
      *out = std::move(e.bytes);
      return true;
    case Expectation::Kind::PlanDescribe:
      if (f.code != protocol::ParameterDescription::kCode || e.bytes.empty()) return false;
      *out = std::move(e.bytes);
      return true;
    case Expectation::Kind::AnswerExecute: {
      if (f.code != protocol::EmptyQueryResponse::kCode) return false;
      if (!e.answer) {  // a dry run's rows (proxy/dry_run.cc)
        *out = std::move(e.bytes);
        return true;
      }
      // The server ran the carrier: the statement takes effect now.
      auto answer = settings_.answer(*e.answer, setting_sources());
      if (auto* a = std::get_if<ProxyAnswer>(&answer)) {
        settings_.apply(*e.answer);
        *out = a->rows + command_complete(a->tag);
      } else {
        *out = protocol::encode_error(std::get<ProxyError>(answer));
      }
      return true;
    }
    case Expectation::Kind::PlanStep: {
      const bool swallowed = fold_plan_step(e, f, out);
      cut_run_reply(e);  // upsert_batch.cc
      return swallowed;
    }
    case Expectation::Kind::SqlPrepared:
      fold_sql_prepared(e, f);
      return false;
    case Expectation::Kind::Notice:
    case Expectation::Kind::SearchPath:
    case Expectation::Kind::Budget:
      return false;
  }
  return false;
}

void Conversation::finish_batch(char status, std::string* prefix, bool* swallow_ready) {
  const uint64_t batch = positions_.current().batch;
  size_t done = 0;
  while (done < pending_.size() && pending_[done].at.batch <= batch) {
    finish_one(pending_[done], status, prefix, swallow_ready);
    ++done;
  }
  pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
  fold_from_ = 0;
}

void Conversation::finish_one(Expectation& e, char status, std::string* prefix, bool* swallow_ready) {
  switch (e.kind) {
    case Expectation::Kind::Notice:
      prefix->append(e.bytes);
      break;
    case Expectation::Kind::Statement:
    case Expectation::Kind::Portal:
      // Failed, or skipped after an earlier error: it never took effect.
      if (!e.completed) (e.kind == Expectation::Kind::Statement ? statements_ : portals_).fail(e.name, e.ticket);
      break;
    case Expectation::Kind::SearchPath: {
      --search_path_effects_;
      bool certain = e.was_certain;
      if (!e.failed) {
        if (e.new_search_path) identity_.search_path = *e.new_search_path;
        // Inside a block the SET may still roll back.
        certain = !e.path_uncertain && status == 'I';
      }
      identity_.search_path_uncertain = !(certain && search_path_effects_ == 0);
      break;
    }
    case Expectation::Kind::AnswerQuery: {
      if (status == 'E') {
        prefix->append(protocol::encode_error(aborted_block_error()));
        break;
      }
      if (!e.answer) {  // a dry run's answer (proxy/dry_run.cc)
        prefix->append(e.bytes);
        break;
      }
      auto answer = settings_.answer(*e.answer, setting_sources());
      if (auto* a = std::get_if<ProxyAnswer>(&answer)) {
        settings_.apply(*e.answer);
        prefix->append(a->row_description + a->rows + command_complete(a->tag));
      } else {
        prefix->append(protocol::encode_error(std::get<ProxyError>(answer)));
      }
      break;
    }
    case Expectation::Kind::SqlPrepared:
      finish_sql_prepared(e);
      break;
    case Expectation::Kind::PlanStep:
      end_replayable(e, swallow_ready);
      if (!e.whole_batch) break;
      if (!e.last || e.run->retrying) {
        *swallow_ready = true;  // one ReadyForQuery for the client's one Query
      } else if (!e.run->error_sent && !e.run->done && !e.run->replaying) {  // replayed: the replay answers
        prefix->append(client_tag(*e.run));
        e.run->done = true;
      }
      if (e.last) end_attempt(e.run);
      break;
    default:
      break;
  }
}

}  // namespace blueshift::proxy

// Conversation's side of folded upsert runs (upsert_batch.h): holding a run's messages,
// running it on the plan path, and the client's replies to what was held.
#include "proxy/upsert_batch.h"

#include <limits>

#include "protocol/peek.h"
#include "proxy/block_begun.h"
#include "proxy/conversation.h"
#include "proxy/expectation.h"
#include "proxy/plan_retry.h"

namespace blueshift::proxy {

std::optional<std::string> row_key(const rewrite::Plan::Fold& fold, const protocol::Bind& b) {
  std::string key;
  for (const size_t i : fold.key_params) {
    if (i >= b.params.size() || !b.params[i]) return std::nullopt;
    const int16_t format = b.param_formats.size() == 1 ? b.param_formats[0]
                           : i < b.param_formats.size() ? b.param_formats[i]
                                                        : 0;
    key += std::to_string(format) + ":" + std::to_string(b.params[i]->size()) + ":" + *b.params[i];
  }
  return key;
}

std::string held_replies(const PlanRun& run, size_t upto) {
  std::string out;
  size_t row = 0;
  for (const char code : run.held) {
    if (code == protocol::Execute::kCode) {
      if (row == upto) break;
      const bool counts = !run.plan->fold || !run.plan->fold->flags || (row < run.inserted.size() && run.inserted[row]);
      out += encode_backend(protocol::CommandComplete{rewrite::plan_tag(*run.plan, counts ? 1 : 0)});
      ++row;
    } else {
      out += code == protocol::Bind::kCode ? encode_backend(protocol::BindComplete{})
                                           : encode_backend(protocol::NoData{});
    }
  }
  return out;
}

void note_flag(PlanRun& run, const protocol::Frame& f) {
  auto decoded = protocol::decode_backend(f.code, f.body);
  if (!decoded.ok()) return;
  const auto& values = std::get<protocol::DataRow>(*decoded).values;
  run.inserted.push_back(!values.empty() && values[0] && *values[0] == "t");
}

bool replay_on_failure(PlanRun& run) {
  if (!run.replay || run.error_sent) return false;
  run.replaying = true;
  return true;
}

std::string frame_bytes(const protocol::Frame& f) {
  std::string out(1, f.code);
  const uint32_t length = static_cast<uint32_t>(f.body.size() + 4);
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((length >> shift) & 0xff);
  out.append(reinterpret_cast<const char*>(f.body.data()), f.body.size());
  return out;
}

protocol::Frame frame_at(const std::string& bytes, size_t at) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data() + at);
  const size_t size = 1 + ((size_t{p[1]} << 24) | (size_t{p[2]} << 16) | (size_t{p[3]} << 8) | p[4]);
  return protocol::Frame{static_cast<char>(p[0]), {p + 5, size - 5}, size};
}

bool waits_for_cut_run(char code) {
  return code == protocol::Parse::kCode || code == protocol::Bind::kCode || code == protocol::Describe::kCode ||
         code == protocol::Execute::kCode || code == protocol::Close::kCode;
}

// ------------------------------------------------------------------ Conversation

Conversation::Verdict Conversation::plan_execute(const ObjectInfo& portal, std::string_view portal_name,
                                                 std::string* out) {
  const auto& fold = portal.plan->fold;
  if (!fold || !portal.bind) {
    run_plan(portal, {&portal.bind, 1}, "", out);
    return Verdict::Replace;
  }
  // Held until the message after the run (at the latest its Sync) shows where it ends.
  UpsertBatch& b = *(progress().batch = std::make_unique<UpsertBatch>());
  b.portal = std::make_shared<ObjectInfo>(portal);
  b.portal_name = portal_name;
  b.statement = portal.bind->statement;
  b.rows.push_back(portal.bind);
  b.held = protocol::Execute::kCode;
  if (auto key = row_key(*fold, *portal.bind); key && !fold->flags) b.keys.insert(std::move(*key));
  return Verdict::Replace;
}

bool Conversation::batch_takes_bind(const protocol::Frame& f) {
  UpsertBatch& b = *progress().batch;
  const auto names = protocol::leading_names(f.code, f.body);
  if (!names || names->first != b.portal_name || names->second != b.statement || dry_running()) return false;
  if (b.rows.size() >= kMaxFoldRows) return false;
  // The same plan, and nothing to check at Bind: then on_bind would only pass it on.
  const auto* candidates = statements_.find(names->second);
  if (candidates == nullptr) return false;
  for (const auto& c : in_effect_at_bind(*candidates))
    if (!c.info || c.info->plan != b.portal->plan || c.info->check || c.info->bind_route) return false;
  auto decoded = protocol::decode_frontend(f.code, f.body);
  if (!decoded.ok()) return false;
  auto bind = std::make_shared<const protocol::Bind>(std::get<protocol::Bind>(std::move(*decoded)));
  if (bind->params.size() != b.rows.front()->params.size()) return false;
  const auto& fold = *b.portal->plan->fold;
  // DO UPDATE: a key met again sees the earlier row's effect, which one set-wise step cannot.
  if (auto key = row_key(fold, *bind); key && !fold.flags && !b.keys.insert(std::move(*key)).second) {
    b.repeated_key = true;
    return false;
  }
  b.next = std::move(bind);
  b.tail = frame_bytes(f);
  b.held += f.code;
  return true;
}

bool Conversation::batch_takes(const protocol::Frame& f) {
  UpsertBatch& b = *progress().batch;
  const char last = b.held.back();
  if (f.code == protocol::Bind::kCode) return last == protocol::Execute::kCode && batch_takes_bind(f);
  const auto names = protocol::leading_names(f.code, f.body);
  if (!names || names->first != b.portal_name) return false;
  if (f.code == protocol::Describe::kCode && names->kind == 'P' && last == protocol::Bind::kCode) {
    b.tail += frame_bytes(f);
    b.held += f.code;
    return true;
  }
  if (f.code != protocol::Execute::kCode || last == protocol::Execute::kCode) return false;
  b.rows.push_back(std::move(b.next));
  b.tail.clear();
  b.held += f.code;
  return true;
}

namespace {

// The proxy's savepoint under a folded run in the client's block.
const std::string kSavepoint = "SAVEPOINT blueshift_fold";
const std::string kRelease = "RELEASE SAVEPOINT blueshift_fold";
const std::string kRollbackTo = "ROLLBACK TO SAVEPOINT blueshift_fold";
constexpr const char* kFoldStatement = "__blueshift_fold__";

}  // namespace

Conversation::Undo Conversation::undo_of(const UpsertBatch& b, char next) const {
  // Undone without undoing anything else the client ran: under a savepoint in a block, or
  // alone in its implicit transaction; nothing of the client's after the run skipped by the
  // server after an error: a Sync next, or a message that waits for the run's outcome (or a
  // Flush: nothing skipped). The status read is this batch's only once every earlier batch
  // is answered.
  const bool known = positions_.current().batch == positions_.next_send().batch;
  const bool next_ok = next == protocol::Sync::kCode || next == protocol::Flush::kCode || waits_for_cut_run(next);
  // A batch the server already failed skips the run: nothing to undo, nor to wait for.
  if (!next_ok || !b.tail.empty() || !known || upstream_skipping_) return Undo::None;
  const bool begun = seen().block_begun && seen().block_begun->begun();  // the client's BEGIN in this batch
  if (transaction_status_ == 'T' || (transaction_status_ == 'I' && begun))
    return b.portal->plan->fold && !b.portal->plan->fold->savepoints ? Undo::Folded : Undo::Savepoint;
  return transaction_status_ == 'I' && !batch_ran_ ? Undo::Alone : Undo::None;
}

bool Conversation::flush_batch(std::string* out, char next) {
  const std::shared_ptr<UpsertBatch> b = std::move(progress().batch);
  b->held = b->held.substr(0, b->held.rfind(protocol::Execute::kCode) + 1);
  b->cut = next != protocol::Sync::kCode;
  const bool folded = b->rows.size() > 1;
  const Undo undo = folded ? undo_of(*b, next) : Undo::None;
  const bool replayable = undo == Undo::Savepoint || undo == Undo::Alone;
  // Undo::None stays folded too (upsert_batch.h): its failure fails all the native one
  // fails, at another row. Row by row only DO UPDATE keys equal in the database but not in
  // bytes would come out right; the proxy cannot tell those apart, so none is kept for them.
  if (undo == Undo::Savepoint) send_statement(kSavepoint, out);
  const auto run = run_plan(*b->portal, b->rows, folded ? b->held : "", out, folded && b->portal_name.empty());
  if (undo == Undo::Savepoint) send_statement(kRelease, out);
  if (replayable) {
    run->replay = b;
    progress().retryable_run = run;  // the client's next messages wait until the run's end
  }
  // A Bind (and Describe) whose Execute did not follow goes on as it would have: on_bind
  // forwards it (batch_takes_bind saw nothing it would check, refuse or wait for).
  for (size_t at = 0; at < b->tail.size();) {
    const protocol::Frame f = frame_at(b->tail, at);
    std::string replaced;
    if (dispatch(f, &replaced) == Verdict::Forward) replaced = frame_bytes(f);
    out->append(replaced);
    at += f.size;
  }
  // Cut and replayable: the server sends the run's replies now (a client's Flush does too).
  const bool waits = replayable && waits_for_cut_run(next);
  if (waits) {
    protocol::encode(protocol::Flush{}, *out);
    positions_.on_forward(protocol::Flush::kCode);
  }
  return waits;
}

void Conversation::hold_cut(const protocol::Frame& f) { progress().cut_message = std::make_unique<std::string>(frame_bytes(f)); }

Conversation::Verdict Conversation::resume_cut() {
  // As on_client would have gone on with it, its output sent before the next message's.
  const protocol::Frame f = frame_at(*progress().cut_message, 0);
  if (seen().retry_hold) release_hold(f.code);  // plan_retry.cc
  std::string replaced;
  const Verdict v = dispatch(f, &replaced);
  if (v == Verdict::Wait || v == Verdict::Analyse) return v;  // presented again with the next
  progress().unsent += v == Verdict::Forward ? frame_bytes(f) : replaced;
  note_batch(f.code);
  note_block(f);
  progress().cut_message.reset();
  return Verdict::Replace;
}

// An error before the first step of a cut run that waits for its outcome: the server skips
// the run, and all else up to the client's Sync, which waits behind the run. The run has no
// outcome to wait for: the client's messages go on (skipped as well, as natively after the
// Execute that failed).
void Conversation::release_skipped_cut_run(const ReplyPosition& at) {
  std::shared_ptr<PlanRun>& waited = progress().retryable_run;
  if (!waited->replay || !waited->replay->cut) return;
  for (size_t i = 0; i < pending_.size(); ++i) {
    const Expectation& e = pending_[i];
    if (e.run != waited) continue;
    if (e.at.batch == at.batch && at.completion < e.at.completion) waited = nullptr;
    return;
  }
}

void Conversation::cut_run_reply(const Expectation& e) {
  const PlanRun& run = *e.run;
  if (!run.replay || !run.replay->cut || seen().retryable_run != e.run) return;
  if (run.replaying && !run.replay->synced) {
    progress().retry_due = e.run;  // the proxy's Sync, then the replay (replay_run)
  } else if (run.done && !run.replaying) {
    progress().retryable_run = nullptr;  // it succeeded: the client's next messages go on
  }
}

void Conversation::run_rows(const UpsertBatch& b, std::string* out) {
  // Each row as a lone Execute would run, with the replies to the held messages before it.
  size_t from = 0;
  for (size_t r = 0; r < b.rows.size(); ++r) {
    const size_t to = b.held.find(protocol::Execute::kCode, from) + 1;
    const auto run = run_plan(*b.portal, {&b.rows[r], 1}, b.held.substr(from, to - from), out, b.portal_name.empty());
    run->replay_row = true;
    from = to;
  }
}

void Conversation::end_replayable(const Expectation& e, bool* swallow_ready) {
  if (!e.run || !e.run->replay) return;
  if (!e.run->replaying) {
    if (seen().retryable_run == e.run) progress().retryable_run = nullptr;
    return;
  }
  *swallow_ready = true;  // the client's ReadyForQuery is the replay's
  progress().retry_due = e.run;  // the session sends it at once (Conversation::retry)
}

void Conversation::replay_run(const PlanRun& failed, std::string* out) {
  const UpsertBatch& b = *failed.replay;
  if (b.cut && !b.synced) {
    // The server skips all up to a Sync: the proxy's, whose ReadyForQuery end_replayable
    // swallows before it asks for the replay.
    b.synced = true;
    protocol::encode(protocol::Sync{}, *out);
    positions_.on_forward(protocol::Sync::kCode);
    return;
  }
  if (transaction_status_ != 'I') {  // the client's block, failed since the savepoint
    send_statement(kRollbackTo, out);
    send_statement(kRelease, out);
  }
  run_rows(b, out);
  progress().retryable_run = nullptr;
  if (b.cut) {
    // The client's batch goes on in the replay's transaction, as after the native Execute;
    // the Flush brings the replay's replies (the client's next messages wait for them).
    protocol::encode(protocol::Flush{}, *out);
    positions_.on_forward(protocol::Flush::kCode);
    batch_ran_ = true;
    return;
  }
  protocol::encode(protocol::Sync{}, *out);
  positions_.on_forward(protocol::Sync::kCode);
  progress().retry_hold.reset();  // the replay's own Sync ended its batch (plan_retry.cc)
  batch_ran_ = false;
}

void Conversation::send_statement(const std::string& sql, std::string* out) {
  send_swallowed(protocol::Close{'S', kFoldStatement}, out);
  send_swallowed(protocol::Parse{kFoldStatement, sql, {}}, out);
  send_swallowed(protocol::Bind{kFoldStatement, kFoldStatement, {}, {}, {}}, out);
  send_swallowed(protocol::Execute{kFoldStatement, 0}, out);
  send_swallowed(protocol::Close{'P', kFoldStatement}, out);
  send_swallowed(protocol::Close{'S', kFoldStatement}, out);
}

void Conversation::note_block(const protocol::Frame& f) {
  // Boxed: most sessions never send BEGIN in a pipeline (an idle session's memory counts).
  if (!seen().block_begun) {
    if (f.code != protocol::Parse::kCode) return;
    const auto names = protocol::leading_names(f.code, f.body);
    if (!names || BlockBegun::kind_of(names->second) != BlockBegun::Kind::Begin) return;
    progress().block_begun = std::make_unique<BlockBegun>();
  }
  progress().block_begun->note(f);
}

Conversation::Verdict Conversation::with_unsent(const protocol::Frame& f, Verdict v, std::string* out) {
  // Waiting: the run goes up with the message when it is presented again.
  if (seen().unsent.empty() || v == Verdict::Wait || v == Verdict::Analyse) return v;
  std::string run = std::exchange(progress().unsent, {});
  if (v == Verdict::Forward) {
    *out = std::move(run) + frame_bytes(f);
  } else {
    out->insert(0, run);
  }
  return Verdict::Replace;
}

}  // namespace blueshift::proxy

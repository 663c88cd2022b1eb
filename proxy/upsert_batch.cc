// Conversation's side of folded upsert runs (upsert_batch.h): holding a run's messages,
// running it on the plan path, and the client's replies to what was held.
#include "proxy/upsert_batch.h"

#include <limits>

#include "protocol/peek.h"
#include "proxy/conversation.h"
#include "proxy/expectation.h"

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

std::string frame_bytes(const protocol::Frame& f) {
  std::string out(1, f.code);
  const uint32_t length = static_cast<uint32_t>(f.body.size() + 4);
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((length >> shift) & 0xff);
  out.append(reinterpret_cast<const char*>(f.body.data()), f.body.size());
  return out;
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
  batch_ = std::make_unique<UpsertBatch>();
  batch_->portal = std::make_shared<ObjectInfo>(portal);
  batch_->portal_name = portal_name;
  batch_->statement = portal.bind->statement;
  batch_->rows.push_back(portal.bind);
  batch_->held = protocol::Execute::kCode;
  if (auto key = row_key(*fold, *portal.bind); key && !fold->flags) batch_->keys.insert(std::move(*key));
  return Verdict::Replace;
}

bool Conversation::batch_takes_bind(const protocol::Frame& f) {
  UpsertBatch& b = *batch_;
  const auto names = protocol::leading_names(f.code, f.body);
  if (!names || names->first != b.portal_name || names->second != b.statement || b.rows.size() >= kMaxFoldRows ||
      dry_running())
    return false;
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
  if (auto key = row_key(fold, *bind); key && !fold.flags && !b.keys.insert(std::move(*key)).second) return false;
  b.next = std::move(bind);
  b.tail = frame_bytes(f);
  b.held += f.code;
  return true;
}

bool Conversation::batch_takes(const protocol::Frame& f) {
  UpsertBatch& b = *batch_;
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

void Conversation::flush_batch(std::string* out) {
  const std::unique_ptr<UpsertBatch> b = std::move(batch_);
  const std::string held = b->held.substr(0, b->held.rfind(protocol::Execute::kCode) + 1);
  const bool folded = b->rows.size() > 1;
  run_plan(*b->portal, b->rows, folded ? held : "", out, folded && b->portal_name.empty());
  // A Bind (and Describe) whose Execute did not follow goes on as it would have: on_bind
  // forwards it (batch_takes_bind saw nothing it would check, refuse or wait for).
  for (size_t at = 0; at < b->tail.size();) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(b->tail.data() + at);
    const size_t size = 1 + ((size_t{bytes[1]} << 24) | (size_t{bytes[2]} << 16) | (size_t{bytes[3]} << 8) | bytes[4]);
    const protocol::Frame f{static_cast<char>(bytes[0]), {bytes + 5, size - 5}, size};
    std::string replaced;
    if (dispatch(f, &replaced) == Verdict::Forward) replaced = frame_bytes(f);
    out->append(replaced);
    at += size;
  }
}

Conversation::Verdict Conversation::with_unsent(const protocol::Frame& f, Verdict v, std::string* out) {
  // Waiting: the run goes up with the message when it is presented again.
  if (unsent_.empty() || v == Verdict::Wait || v == Verdict::Analyse) return v;
  std::string run = std::exchange(unsent_, {});
  if (v == Verdict::Forward) {
    *out = std::move(run) + frame_bytes(f);
  } else {
    out->insert(0, run);
  }
  return Verdict::Replace;
}

}  // namespace blueshift::proxy

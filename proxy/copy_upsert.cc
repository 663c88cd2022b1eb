// Conversation, upsert COPY ... FROM STDIN (rewrite/copy_upsert.h): the load step goes up
// at once and the server's CopyInResponse reaches the client, whose CopyData streams into
// the staging table untouched; the merge steps go up only after the client's CopyDone (a
// server in copy-in mode takes nothing else). Had the load already failed, they are not
// sent: the failed load took its staging table with it (outside a block, its own implicit
// transaction; inside one, the client's failed block).
#include "proxy/conversation.h"
#include "proxy/expectation.h"
#include "proxy/plan_script.h"
#include "rewrite/staged_text.h"

namespace blueshift::proxy {

namespace {

constexpr std::string_view kCopyKeySetting = "blueshift.copy_upsert_key";

rewrite::PlanPtr extended_copy_refusal() {
  auto plan = std::make_shared<rewrite::Plan>();
  plan->refusal = rewrite::PlanStep::Error{"0A000", "blueshift: an upsert COPY FROM STDIN runs only as a simple query",
                                           "Send the COPY as a simple query (psql, psycopg's copy())."};
  return plan;
}

// The steps as one text, the staging table named in the schema of temporary tables (as
// unqualified it would be taken for a table of the search path, e.g. public).
std::string checked_text(const rewrite::Plan& plan) {
  std::vector<const rewrite::PlanStep*> steps;
  for (const rewrite::PlanStep& step : plan.steps) steps.push_back(&step);
  std::string text = plan_script(steps).text;
  if (plan.stage.empty()) return text;
  const std::string temp = "pg_temp." + plan.stage;
  for (size_t at = text.find(plan.stage); at != std::string::npos; at = text.find(plan.stage, at + temp.size()))
    text.replace(at, plan.stage.size(), temp);
  return text;
}

// The plan, or one that refuses as the policies refuse its steps: the client's COPY passed
// them, but its staging DDL, DELETE and INSERT ... SELECT reach the warehouse too, and must
// pass as the client's own statements would (null governor: ungoverned).
rewrite::PlanPtr governed_steps(policies::Governor* governor, const policies::SessionContext& session,
                                rewrite::PlanPtr plan) {
  if (governor == nullptr || plan->refusal) return plan;
  const policies::Verdict v = governor->check_query(checked_text(*plan), session).verdict;
  if (v.outcome != policies::Verdict::Outcome::Refuse) return plan;
  auto refused = std::make_shared<rewrite::Plan>();
  const std::string detail = v.detail.empty() ? "" : v.detail + " ";
  refused->refusal = rewrite::PlanStep::Error{
      v.sqlstate, v.message, detail + "(Refused in the statements Blueshift runs for the upsert COPY.) " + v.hint};
  return refused;
}

}  // namespace

rewrite::PlanPtr Conversation::plan_of(std::string_view sql, bool extended) {
  if (options_->copy_planner) {
    if (auto plan = options_->copy_planner(sql, identity_, settings_.value(kCopyKeySetting))) {
      if (extended && plan->copy_in) return extended_copy_refusal();
      return governed_steps(options_->governor, identity_, std::move(plan));
    }
  }
  return options_->planner ? options_->planner(sql, identity_) : nullptr;
}

Conversation::Verdict Conversation::copy_in_query(const rewrite::PlanPtr& plan, std::string* out) {
  auto run = start_run(plan);
  copy_in_run_ = run;
  copy_in_wrap_ = transaction_status_ == 'I';
  // Until the CopyDone it is the last step: an error before then ends the client's COPY.
  send_query_steps(run, {&plan->steps.front()}, out);
  return Verdict::Replace;
}

Conversation::Verdict Conversation::copy_in_end(const protocol::Frame& f, std::string* out) {
  const std::shared_ptr<PlanRun> run = std::exchange(copy_in_run_, {}).lock();
  Expectation* load = nullptr;
  for (auto& e : pending_) {
    if (run && e.run == run) load = &e;
  }
  // A CopyFail fails the load (the server says so); a load that failed already, or ended,
  // has nothing to merge.
  if (f.code != protocol::CopyDoneF::kCode || !run || load == nullptr || load->failed) return forward(f.code);
  load->last = false;
  protocol::encode(protocol::FrontendMessage{protocol::CopyDoneF{}}, *out);
  positions_.on_forward(protocol::CopyDoneF::kCode);
  const auto& steps = run->plan->steps;
  static const rewrite::PlanStep begin = rewrite::staged::step("BEGIN"), commit = rewrite::staged::step("COMMIT");
  std::vector<const rewrite::PlanStep*> after;
  if (copy_in_wrap_) after.push_back(&begin);
  for (size_t i = 1; i + 1 < steps.size(); ++i) after.push_back(&steps[i]);
  if (copy_in_wrap_) after.push_back(&commit);
  after.push_back(&steps.back());  // dropping the staging table, whatever became of the merge
  send_query_steps(run, after, out);
  return Verdict::Replace;
}

}  // namespace blueshift::proxy

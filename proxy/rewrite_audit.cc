// Conversation: a rewritten statement's steps at debug level, and its audit line (table,
// form, rows, outcome) once its last reply is folded (policies/rewrite_audit.h).
#include "policies/log_text.h"
#include "policies/rewrite_audit.h"
#include "proxy/conversation.h"
#include "proxy/expectation.h"
#include "spdlog/spdlog.h"

namespace blueshift::proxy {

std::shared_ptr<PlanRun> Conversation::start_run(const rewrite::PlanPtr& plan) {
  auto run = std::make_shared<PlanRun>();
  run->plan = plan;
  if (spdlog::should_log(spdlog::level::debug)) {
    for (const auto& s : plan->steps)
      spdlog::debug("rewrite {} {} step: {}", plan->form, policies::log_text(plan->target), policies::log_message(s.sql));
  }
  if (options_->governor == nullptr || plan->form.empty()) return run;
  run->on_end = [governor = options_->governor, session = identity_](const PlanRun& r) {
    policies::RewriteRecord record;
    record.table = r.plan->target;
    record.form = r.plan->form;
    record.rows = r.error_sent ? 0 : r.rows;
    record.outcome = r.error_sent ? "error" : r.done ? "ok" : "unfinished";
    record.sqlstate = r.sqlstate;
    record.retries = r.attempt - 1;
    governor->audit_rewrite(record, session);
  };
  return run;
}

}  // namespace blueshift::proxy

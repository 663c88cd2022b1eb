// analyse_text: a text's check and its SQL PREPARE/EXECUTE steps, in one piece that may run
// on any thread (it reads only its arguments and the thread-safe governor).
#include "proxy/text_analysis.h"

namespace blueshift::proxy {

using rewrite::SqlPreparedStep;

std::shared_ptr<const rewrite::SqlPreparedText> scan_sql_steps(std::string_view sql) {
  if (!rewrite::may_use_sql_prepared(sql)) return nullptr;
  auto text = std::make_shared<rewrite::SqlPreparedText>(rewrite::scan_sql_prepared(sql));
  if (text->steps.empty() && !text->unread) return nullptr;
  return text;
}

const SqlPreparedStep* lone_prepare(const rewrite::SqlPreparedText* text) {
  if (text == nullptr || text->statements != 1 || text->steps.size() != 1) return nullptr;
  const SqlPreparedStep& s = text->steps[0];
  return s.kind == SqlPreparedStep::Kind::Prepare && !s.query.empty() ? &s : nullptr;
}

TextAnalysis analyse_text(policies::Governor& governor, std::string_view sql, const policies::SessionContext& session,
                          const std::vector<uint32_t>* parse_types, bool check_prepares) {
  TextAnalysis a;
  a.steps = scan_sql_steps(sql);
  if (const SqlPreparedStep* lone = lone_prepare(a.steps.get())) {
    a.checked = governor.check_parse(lone->query, session, lone->param_types);
    a.prepares.push_back(a.checked);
    return a;
  }
  a.checked = parse_types ? governor.check_parse(sql, session, *parse_types) : governor.check_query(sql, session);
  if (!check_prepares || !a.steps || a.checked.verdict.outcome == policies::Verdict::Outcome::Refuse) return a;
  a.prepares.resize(a.steps->steps.size());
  for (size_t i = 0; i < a.steps->steps.size(); ++i) {
    const SqlPreparedStep& s = a.steps->steps[i];
    if (s.kind != SqlPreparedStep::Kind::Prepare || s.query.empty()) continue;
    a.prepares[i] = governor.check_parse(s.query, session, s.param_types);
    if (a.prepares[i]->verdict.outcome == policies::Verdict::Outcome::Refuse) break;
  }
  return a;
}

}  // namespace blueshift::proxy

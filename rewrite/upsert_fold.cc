#include "rewrite/upsert_fold.h"

#include <algorithm>

#include "rewrite/identifiers.h"
#include "rewrite/staged_text.h"

namespace blueshift::rewrite {
namespace {

bool has_subquery(const ProtobufCMessage* m) {
  if (m == nullptr) return false;
  if (pg::is_node(m) && IS(reinterpret_cast<const PgQuery__Node*>(m), SUB_LINK)) return true;
  bool found = false;
  pg::for_each_child(m, [&](const ProtobufCMessage* c) { found = found || has_subquery(c); });
  return found;
}

// The one VALUES row of the source, or null.
const PgQuery__List* values_row(const PgQuery__InsertStmt& ins) {
  const PgQuery__Node* source = ins.select_stmt;
  if (!IS(source, SELECT_STMT)) return nullptr;
  const PgQuery__SelectStmt& s = *source->select_stmt;
  if (s.n_values_lists != 1 || s.n_target_list > 0 || s.n_from_clause > 0 || s.with_clause != nullptr ||
      !IS(s.values_lists[0], LIST))
    return nullptr;
  return s.values_lists[0]->list;
}

// "n = 1" (the first of its key) or a NULL key column (a NULL key meets nothing).
std::string first_or_null(const std::vector<std::string>& keys, std::string_view row) {
  std::string out = "(" + std::string(row) + ".blueshift_n = 1";
  for (const std::string& k : keys) out += " OR " + std::string(row) + "." + k + " IS NULL";
  return out + ")";
}

// The staged rows numbered within their key, in load order.
std::string numbered(const std::vector<std::string>& keys, const std::string& stage, const std::string& ord) {
  std::string partition;
  for (const std::string& k : keys) partition += (partition.empty() ? "" : ", ") + k;
  return "(SELECT *, row_number() OVER (PARTITION BY " + partition + " ORDER BY " + ord + ") AS blueshift_n FROM " +
         stage + ")";
}

}  // namespace

std::optional<Plan::Fold> fold_shape(const PgQuery__InsertStmt& ins, const std::vector<std::string>& keys) {
  const PgQuery__List* row = values_row(ins);
  if (row == nullptr || keys.empty() || row->n_items != ins.n_cols || ins.with_clause != nullptr ||
      has_subquery(&ins.base))
    return std::nullopt;
  Plan::Fold fold;
  for (const std::string& k : keys) {
    size_t i = 0;
    while (i < ins.n_cols && !(IS(ins.cols[i], RES_TARGET) &&
                               quote_identifier(pg::sv(ins.cols[i]->res_target->name)) == k))
      ++i;
    if (i == ins.n_cols || !IS(row->items[i], PARAM_REF) || row->items[i]->param_ref->number < 1) return std::nullopt;
    fold.key_params.push_back(static_cast<size_t>(row->items[i]->param_ref->number - 1));
  }
  return fold;
}

PlanStep inserted_flags(const std::string& table, const std::vector<std::string>& keys, const std::string& stage,
                        const std::string& ord, bool probe_index) {
  const std::string match =
      "(SELECT 1 FROM " + table + " AS blueshift_target WHERE " + staged::key_match(keys, "blueshift_target", "excluded");
  const std::string is_new = probe_index ? match + " LIMIT 1) IS NULL" : "NOT EXISTS " + match + ")";
  return staged::step("SELECT " + first_or_null(keys, "excluded") + " AND " + is_new + " FROM " +
                          numbered(keys, stage, ord) + " AS excluded ORDER BY excluded." + ord,
                      PlanStep::Replies::Flags);
}

PlanStep later_duplicates_deleted(const std::vector<std::string>& keys, const std::string& stage,
                                  const std::string& ord) {
  return staged::step("DELETE FROM " + stage + " WHERE " + ord + " IN (SELECT " + ord + " FROM " +
                      numbered(keys, stage, ord) + " AS blueshift_later WHERE NOT " +
                      first_or_null(keys, "blueshift_later") + ")");
}

}  // namespace blueshift::rewrite

#include "policies/dry_run.h"

#include <algorithm>
#include <set>

#include "policies/scan_estimate.h"

namespace blueshift::policies {
namespace {

std::string word(Mode mode, const std::string& rule) {
  return std::string(mode == Mode::Enforce ? "refuse" : "warn") + " (" + rule + ")";
}

// The finding that decides a table's word: enforce before warn, the first of each.
const Finding* strongest(const Decision& decision, const std::string& table) {
  const Finding* best = nullptr;
  for (const auto& f : decision.findings) {
    if (f.note || f.mode == Mode::Audit || (!f.table.empty() && f.table != table)) continue;
    if (best == nullptr || (f.mode == Mode::Enforce && best->mode != Mode::Enforce)) best = &f;
  }
  return best;
}

}  // namespace

bool runs_in_dry_run(const rewrite::QueryFacts& facts) {
  return std::all_of(facts.statements.begin(), facts.statements.end(), [](const rewrite::StatementFacts& st) {
    return st.kind == rewrite::StatementKind::Transaction || st.kind == rewrite::StatementKind::Set ||
           st.kind == rewrite::StatementKind::Show;
  });
}

std::string decision_for(const Decision& decision, const std::string& table) {
  if (const Finding* f = strongest(decision, table)) return word(f->mode, f->rule);
  const Finding* shown = decision.shown();
  const bool stops = decision.outcome == Decision::Outcome::Refuse || decision.outcome == Decision::Outcome::Notice;
  if (shown != nullptr && stops) return word(shown->mode, shown->rule) + " on " + shown->table;
  return "allow";
}

std::vector<DryRunRow> dry_run_rows(const rewrite::QueryFacts& facts, const Decision& decision, const Catalog& catalog,
                                    const PartitionSizes& sizes, const CostSettings& settings,
                                    const std::vector<rewrite::ParamValue>* params) {
  std::vector<DryRunRow> rows;
  std::vector<std::set<size_t>> partitions;  // per row: the union of its scans' partitions
  for (const auto& st : facts.statements) {
    for (const auto& scan : estimate_statement(st, catalog, sizes, settings, params).scans) {
      auto it = std::find_if(rows.begin(), rows.end(), [&](const DryRunRow& r) { return r.table == scan.table; });
      if (it == rows.end()) {
        rows.push_back(DryRunRow{scan.table, 0, scan.partitions_total, 0, 0, decision_for(decision, scan.table)});
        partitions.emplace_back();
        it = rows.end() - 1;
      }
      auto& matched = partitions[static_cast<size_t>(it - rows.begin())];
      matched.insert(scan.partitions.begin(), scan.partitions.end());
      // Unpartitioned tables list no partition indices: the table itself is the one.
      it->partitions_matched = scan.partitions.empty() ? std::max(it->partitions_matched, scan.partitions_matched)
                                                       : static_cast<int64_t>(matched.size());
      it->bytes += scan.bytes;
    }
  }
  for (auto& r : rows) r.usd = cost_usd(billed_bytes(r.bytes, r.partitions_matched > 0, settings), settings);
  return rows;
}

}  // namespace blueshift::policies

// The decision itself: a pure function of the policy set, the facts analysis found in one
// SQL text, who is asking, and the catalog. No clock, no I/O, no globals: the Governor
// wraps it with caching, audit lines and counters, and tests call it directly.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "policies/catalog.h"
#include "policies/partition_sizes.h"
#include "policies/policy_set.h"
#include "rewrite/bounds.h"
#include "rewrite/facts.h"

namespace blueshift::policies {

// Who is asking, with group membership already looked up in the catalog.
struct SessionFacts {
  std::string user;
  std::string database;
  std::string application_name;
  std::string client_address;
  std::vector<std::string> groups;
  // The groups are not known (the look-up has not run, or failed): fail closed. The
  // session is then in every group a scope names and in none an exemption names.
  bool groups_unknown = false;
  int32_t backend_pid = 0;  // the session's server process (0: not known)
};

// Scope semantics are documented on policies::Scope.
[[nodiscard]] bool scope_matches(const Scope& scope, const SessionFacts& session);
[[nodiscard]] bool exempt_matches(const Scope& exempt, const SessionFacts& session);
// In the rule's scope and not exempt.
[[nodiscard]] bool in_scope(const Rule& rule, const SessionFacts& session);
// The rules in_scope for the session, in policy order.
[[nodiscard]] std::vector<const Rule*> rules_in_scope(const PolicySet& policy, const SessionFacts& session);

// One rule that a statement broke (or, for notes, could not be checked).
struct Finding {
  std::string rule;
  RuleType type = RuleType::RequirePartitionFilter;
  Mode mode = Mode::Enforce;
  std::string table;        // "schema.name", or "" when the statement names no table
  int statement = 0;        // index into QueryFacts::statements
  bool unanalysed = false;  // fail-closed: the text could not be parsed but names a governed table
  // A note, not a violation: the rule could not be checked (e.g. partitions unknown
  // without a catalog). Always audit mode, so it is logged and never refuses.
  bool note = false;
  std::string message;  // one line naming the table and the rule
  std::string detail;   // what was found
  std::string hint;     // how to fix the query
};

struct Decision {
  enum class Outcome {
    Pass,    // nothing to say
    Audit,   // run it; findings are logged only
    Notice,  // run it and warn the client (a warn-mode finding)
    Refuse,  // do not run it (an enforce-mode finding)
  };
  Outcome outcome = Outcome::Pass;
  std::vector<Finding> findings;      // every finding, in statement order
  std::optional<size_t> primary;      // index of the finding the client sees
  // A rule's result depends on $n values not known yet (a Parse before its Bind): the
  // outcome covers only what could be decided; evaluate again once values are
  // substituted (rewrite::substitute_params). An enforce finding still refuses at once.
  bool needs_params = false;
  // A rule read the statement's partition bounds or priced it, where $n values (and
  // EvaluateOptions::params_final) count. A decision that did not holds for any values.
  bool read_values = false;
  [[nodiscard]] const Finding* shown() const { return primary ? &findings[*primary] : nullptr; }
};

[[nodiscard]] Decision evaluate(const PolicySet& policy, const rewrite::QueryFacts& facts,
                                const SessionFacts& session, const Catalog& catalog);
// The outcome and primary finding of d's findings: the first enforce one refuses, else the
// first warn one warns, else any is audited.
void settle(Decision& d);

// How many of the table's partitions the scan may read: those whose values satisfy the
// scan's per-column bounds and, in each of its disjunctions, some branch. A $n still in a
// bound matches every value. None when the scan reads nothing (Scan::reads_nothing).
[[nodiscard]] int64_t count_matching_partitions(const ExternalTable& table, const rewrite::Scan& scan);
// The same partitions, as indices into table.partitions (pricing sums their sizes).
[[nodiscard]] std::vector<size_t> matching_partitions(const ExternalTable& table, const rewrite::Scan& scan);

struct EvaluateOptions {
  // Bind time: every value that will ever be known is substituted. A $n still in a bound
  // (a binary value that could not be decoded) may then match any partition, rather than
  // deferring the decision again: counting errs towards refusing.
  bool params_final = false;
  // rules_in_scope(policy, session), when the caller has it already: matching every
  // rule's scope against the session again is a good part of a cheap decision.
  const std::vector<const Rule*>* rules_in_scope = nullptr;
  // Values for the facts' $n (a Bind's, or the literals lifted out of a simple Query): the
  // decision is the one on rewrite::substitute_params(facts, *params), but only the scans
  // a rule reads the bounds of are copied to put the values in.
  const std::vector<rewrite::ParamValue>* params = nullptr;
  // Partition sizes for the cost caps (max_scan_bytes, max_cost_usd); null: none known,
  // every partition priced at policy.cost.default_partition_bytes.
  const PartitionSizes* sizes = nullptr;
};
[[nodiscard]] Decision evaluate(const PolicySet& policy, const rewrite::QueryFacts& facts,
                                const SessionFacts& session, const Catalog& catalog, const EvaluateOptions& options);

}  // namespace blueshift::policies

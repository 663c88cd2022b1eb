// Predicate algebra: what a WHERE or JOIN ... ON says about the columns of the scans it
// filters, as per-column Bounds and, for ORs over several columns, Disjunctions.
// Internal to rewrite/: the statement walker decides which entries a predicate context
// restricts (see query_walker.cc) and resolves its column references; this file turns
// the predicate into bounds.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "rewrite/facts.h"

namespace blueshift::rewrite {

struct Entry;  // a FROM entry (name_resolution.h); here only an identity

// A plain column of a base table scan a reference resolves to.
struct Target {
  const Entry* entry = nullptr;  // the entry in the scope where the reference was resolved
  int scan = -1;
  std::string column;
  bool nullable = false;  // on the nullable side of an outer join inside a subquery/CTE
};

// The entries a predicate context restricts -> whether each is on the nullable side of
// an outer join below the context.
using Eligible = std::unordered_map<const Entry*, bool>;

// How the predicate's column references resolve: supplied by the walker for the scope
// the predicate is in.
class ColumnTargets {
 public:
  // The targets of a plain column reference resolved in the innermost scope; empty for
  // anything else (an expression, a SUPER path, a correlated reference).
  [[nodiscard]] virtual std::vector<Target> plain_targets(const PgQuery__Node* n) = 0;

 protected:
  ~ColumnTargets() = default;
};

// Adds to `scans` what predicate `where` says about the columns of the eligible entries'
// scans: bounds (combined with those already there) and disjunctions.
void restrict_scans(const PgQuery__Node* where, const Eligible& eligible, ColumnTargets& columns,
                    std::vector<Scan>* scans);

}  // namespace blueshift::rewrite

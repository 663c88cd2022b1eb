// Name resolution: which table, CTE, subquery or alias a name in a statement denotes.
// Relation names resolve through search_path (against the catalog), temp tables and
// names longer than PostgreSQL's 63 bytes; column references resolve through the scopes
// of the query blocks (aliases, CTEs, subquery outputs, JOIN ... USING, SUPER
// navigation) to the base-table scans they read. Internal to rewrite/: the statement
// walker (query_walker.cc) builds the scopes and asks; utility_facts resolves the
// relations DDL names.
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rewrite/analyzer.h"
#include "rewrite/dialect.h"
#include "rewrite/facts.h"
#include "rewrite/identifiers.h"
#include "rewrite/predicates.h"

namespace blueshift::rewrite {

struct WalkInput {
  const AnalysisContext* context = nullptr;
  // Effective search_path for this statement; a SET search_path statement updates it so
  // later statements of the same text resolve as the server would.
  std::vector<std::string>* search_path = nullptr;
  // The text that was parsed (locations index it), and its byte offset within the
  // caller's text.
  std::string_view text;
  int location_offset = 0;
  // Absolute byte offsets of `#name` temp-table names the dialect pass rewrote to `_name`.
  const std::vector<int>* temp_positions = nullptr;
  // The rewritten names themselves ("_name"), for names the tree gives without location.
  const std::vector<std::string>* temp_names = nullptr;
  // Absolute byte offsets of the first select-list item of SELECT TOP n blocks whose TOP
  // the dialect pass blanked (sorted): such a block is still row-limited.
  const std::vector<int>* limited_selects = nullptr;
  // PIVOT/UNPIVOT clauses the dialect pass removed, with absolute offsets.
  const std::vector<PivotMark>* pivots = nullptr;
};

// The schema an unqualified relation name resolves to: pg_catalog first (unless listed),
// then the search_path schemas the callback knows it in; else pg_catalog for system
// names (pg_*, stl_*, svv_*, ...), else the first search_path schema.
[[nodiscard]] std::string resolve_relation_schema(const AnalysisContext& ctx, const std::vector<std::string>& path,
                                                  const std::string& name);

// A written name (parts already folded) as a TableRef.
[[nodiscard]] TableRef resolve_table_name(const std::vector<std::string>& parts, const AnalysisContext& ctx,
                                          const std::vector<std::string>& path);

struct Block;

// One entry of a FROM clause (or a DML target).
struct Entry {
  enum class Kind { Table, Block, Function, Navigation, Other };
  Kind kind = Kind::Other;
  std::string refname;  // the name columns are qualified with
  std::string schema;   // Table: resolved schema
  std::string name;     // Table: folded table name
  bool aliased = false;
  int scan = -1;  // Table
  std::shared_ptr<Block> block;
  bool pushdown = false;                   // Block: filters on its outputs may reach its scans
  const PivotMark* pivot = nullptr;        // a PIVOT/UNPIVOT applied to it (see dialect.h)
  std::vector<std::string> alias_columns;  // FROM x AS a(c1, c2): renamed leading columns
};

struct Output {
  std::string name;
  std::vector<Target> targets;  // empty: an expression, or not safe to push into
  bool star = false;
  std::vector<const Entry*> star_entries;
};

// A query block (SELECT, set operation, VALUES): its entries and outputs.
struct Block {
  std::vector<std::unique_ptr<Entry>> entries;
  std::unordered_map<const Entry*, bool> nullable;  // within this block's FROM
  std::vector<Output> outputs;
  bool safe = true;
  bool setop = false;
  std::vector<std::shared_ptr<Block>> branches;
};

struct UsingJoin {
  std::vector<std::string> columns;
  PgQuery__JoinType type = PG_QUERY__JOIN_TYPE__JOIN_INNER;
  std::vector<const Entry*> left, right;
};

struct Scope {
  std::vector<const Entry*> entries;
  std::vector<UsingJoin> usings;
  const Scope* parent = nullptr;
};

enum class Own { No, Maybe, Yes };

struct Resolution {
  std::vector<Target> targets;
  bool plain = true;  // false: a path into the column (SUPER navigation), not the column
  int level = -1;     // scope level it resolved in (0 = innermost), -1 = nowhere
};

struct CteDef {
  std::string name;
  std::shared_ptr<Block> block;
  bool recursive = false;
  // AS MATERIALIZED: computed on its own, so filters outside never reach its scans.
  bool materialized = false;
  bool ready = false;
};

// Resolves the names of one statement, recording the scans and columns it finds in the
// statement's facts. The walker derives from it: walking a statement is building the
// scopes this resolves in.
class NameResolver {
 public:
  NameResolver(const WalkInput& in, StatementFacts* out) : in_(in), ctx_(*in.context), out_(out) {}

  // A relation name (search_path, temp tables, long names).
  [[nodiscard]] TableRef relation(const PgQuery__RangeVar* rv) const { return table_ref(rv); }

 protected:
  // ---- relation names -------------------------------------------------------------
  [[nodiscard]] std::string fold(std::string_view s) const { return fold_parsed(s, ctx_.case_sensitive_identifiers); }
  [[nodiscard]] std::string resolve_schema(const std::string& name) const;
  [[nodiscard]] bool is_temp_location(int location) const;
  // The pivot a table name at `location` is the source of, if any.
  [[nodiscard]] const PivotMark* pivot_of_table(int location) const;
  // The pivot a subquery is the source of, if any (see name_resolution.cc).
  [[nodiscard]] const PivotMark* pivot_of_subquery(const ProtobufCMessage* subquery) const;
  // Whether `column` of entry e may be a column a pivot produced rather than its source's.
  [[nodiscard]] static bool pivot_hides(const Entry& e, const std::string& column);
  [[nodiscard]] TableRef table_ref(const PgQuery__RangeVar* rv) const;
  [[nodiscard]] TableRef name_list_ref(PgQuery__Node* const* items, size_t n) const;

  // ---- what the statement reads and writes ----------------------------------------
  void add_write(const PgQuery__RangeVar* rv);
  int add_scan(TableRef t);
  void read_column(int scan, const std::string& column);

  // ---- CTEs -------------------------------------------------------------------------
  // How often `name` is referenced as an unqualified relation in the whole statement.
  int cte_references(const std::string& name);
  [[nodiscard]] const CteDef* find_cte(const std::string& name) const;

  // ---- columns ----------------------------------------------------------------------
  [[nodiscard]] std::optional<std::vector<std::string>> table_columns(const Entry& e) const;
  [[nodiscard]] Own block_owns(const Block& b, const std::string& column) const;
  [[nodiscard]] Own owns(const Entry& e, const std::string& column) const;
  // Targets of output `column` of a block (through nested pushdown-safe blocks).
  [[nodiscard]] std::vector<Target> block_lookup(const Block& b, const std::string& column) const;
  // Position of an output name in a plain block; nullopt when a star precedes it.
  [[nodiscard]] std::optional<size_t> block_position(const Block& b, const std::string& column) const;
  [[nodiscard]] std::vector<Target> block_at(const Block& b, size_t pos) const;
  // Targets for `column` of entry e (e is in the current scope; targets keep e as entry).
  [[nodiscard]] std::vector<Target> entry_targets(const Entry& e, const std::string& column) const;
  void note_read(const Entry& e, const std::string& column);
  Resolution resolve_unqualified(const Scope* scope, const std::string& column, bool record);
  // Entries of scope s named `ref` (alias, or table name when not aliased).
  [[nodiscard]] static std::vector<const Entry*> named(const Scope* s, const std::string& ref);
  Resolution resolve_in(const Entry* e, int level, const std::string& column, bool plain, bool record);
  // A column reference; `record` notes the columns it reads.
  Resolution resolve(const Scope* scope, const PgQuery__ColumnRef* cr, bool record);
  // `*` or `alias.*`: the scans it reads every column of.
  void star(const Scope* scope, const PgQuery__ColumnRef* cr);

  const WalkInput& in_;
  const AnalysisContext& ctx_;
  StatementFacts* out_;
  const PgQuery__Node* root_ = nullptr;           // the statement (for cte_references)
  std::vector<std::vector<CteDef>> cte_frames_;   // the WITH clauses in scope, innermost last

 private:
  void count_range_vars(const ProtobufCMessage* m);

  std::optional<std::unordered_map<std::string, int>> cte_counts_;
  std::map<std::pair<int, std::string>, bool> columns_seen_;  // (scan, column) already in columns_read
};

}  // namespace blueshift::rewrite

// What analysis learns about one SQL text: the facts policies decide on.
//
// rewrite/analysis turns SQL (plus session facts such as search_path) into QueryFacts;
// policies/ turns QueryFacts into a Decision. Nothing here knows sockets or sessions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace blueshift::rewrite {

enum class StatementKind {
  Select,
  Insert,
  Update,
  Delete,
  Merge,
  Copy,
  Unload,           // Redshift UNLOAD ('query') ...: the inner query is analysed too
  CreateTableAs,
  CreateTable,
  CreateExternal,   // CREATE EXTERNAL SCHEMA/TABLE (Redshift)
  Drop,
  Truncate,
  Alter,
  OtherDdl,         // GRANT, CREATE VIEW/INDEX/FUNCTION, COMMENT, ...
  Explain,          // EXPLAIN <stmt>: scans of the inner statement are reported
  Transaction,      // BEGIN, COMMIT, ROLLBACK, SAVEPOINT, ...
  Set,              // SET / RESET (search_path changes are reported separately)
  Show,
  Utility,          // VACUUM, ANALYZE, PREPARE/EXECUTE/DEALLOCATE, DISCARD, ...
  Other,
  Unparsed,         // the grammar rejected it and no dialect rule applied
};
[[nodiscard]] const char* to_string(StatementKind kind);

// A value a predicate compares with: a constant as written (string literal content or
// numeric text), or a $n placeholder resolved at Bind.
struct Value {
  // DateExpr: a date the warehouse computes (now() - INTERVAL '7 days', DATE_TRUNC(...)),
  // `text` its recipe (rewrite/date_expr.h); never pruned on, compared as unknown.
  enum class Kind { Constant, Param, Null, DateExpr } kind = Kind::Constant;
  std::string text;   // Constant: the literal's text ("2024", "01", "2024-01-05")
  int param = 0;      // Param: n of $n (1-based)
  bool numeric = false;  // the literal was a number, not a string
  // Param: $n is an array whose elements are the values (`col = ANY($1)`, an In with
  // this one value); at Bind it is replaced by its elements. In an Eq/Lt/Le/Gt/Ge atom
  // the comparison holds for some element (`col < ANY($1)`) or, with `all`, for every
  // one (`col < ALL($1)`); at Bind the atom becomes rewrite::quantified()'s bound.
  bool array = false;
  bool all = false;
  // False when the comparison is in a form the warehouse does not prune partitions on:
  // the value is numeric or floating point (a numeric literal such as 2024.0, a cast to
  // numeric/float, a parameter so typed), so the column is cast to the value's type, or
  // it is compared by IS NOT DISTINCT FROM. Such a bound still says which rows match but
  // reads every partition: policies count it as no bound (rewrite::pruning_scan).
  bool prunes = true;
  friend bool operator==(const Value&, const Value&) = default;
};

// One column's restriction as a small expression tree: what the WHERE/ON clauses that
// really restrict the scan say about this column alone. Atoms on other columns are
// dropped (treated as "unknown", i.e. true), so an OR bounds the column only if every
// branch does.
struct Bound {
  enum class Op {
    Eq,       // column = value
    In,       // column IN (values)
    Lt, Le, Gt, Ge,
    Between,  // values[0] <= column <= values[1]
    And,
    Or,
    True,     // no restriction on this column (e.g. an OR branch without it)
    False,    // contradiction (e.g. column = NULL)
  } op = Op::True;
  std::vector<Value> values;     // for atoms
  std::vector<Bound> children;   // for And / Or
  // The same tree (not merely the same meaning).
  friend bool operator==(const Bound&, const Bound&) = default;
};

// Per-column bounds that hold together: one branch of a Disjunction.
using ColumnBounds = std::map<std::string, Bound>;
// Rows satisfy at least one branch. What per-column bounds cannot say:
// `(year = 2024 AND month = 1) OR (year = 2023 AND month = 12)` holds year to {2023,
// 2024} and month to {1, 12}, but only two of those four pairs.
using Disjunction = std::vector<ColumnBounds>;

struct TableRef {
  std::string schema;   // resolved schema ("" if it could not be resolved)
  std::string name;     // folded per Redshift's identifier rules
  std::string alias;    // as written, "" if none
  bool written_qualified = false;
  // A session temp table (`#name`, Redshift/Tableau style): schema is "pg_temp". Never a
  // catalog table, so never governed.
  bool temporary = false;
  // Where the name is written in the analysed text: the byte offset and length of
  // `schema.table` (or the bare name, or `db.schema.table`) without its alias, for a
  // rewrite to splice another name in. -1 when the text does not hold it as written:
  // names from DROP lists, Redshift forms analysed apart (ALTER TABLE ... ADD PARTITION)
  // and the inner query of UNLOAD / CREATE EXTERNAL TABLE AS (a string literal).
  // Facts of a lifted template hold offsets in the template: LiteralTemplate maps them.
  int location = -1;
  int length = 0;
  [[nodiscard]] std::string qualified() const { return schema.empty() ? name : schema + "." + name; }
};

// An object other than a table that a statement creates, alters or drops (or calls,
// locks, vacuums: whatever its statement kind does to it), or a schema itself.
struct ObjectRef {
  std::string type;    // as SQL names it: "schema", "function", "index", "sequence", "type", ...
  std::string schema;  // the schema it lives in; for a schema, its own name
  std::string name;    // "" for a schema
  [[nodiscard]] std::string qualified() const { return name.empty() ? schema : schema + "." + name; }
};

// One scan of one table in one statement (a table read twice is two scans).
struct Scan {
  TableRef table;
  bool select_star = false;                // SELECT * or alias.* reads every column
  std::vector<std::string> columns_read;   // columns referenced for this scan, when known
  std::map<std::string, Bound> bounds;     // column -> restriction for this scan
  // Restrictions the scan's rows also satisfy, each from one WHERE/ON that is an OR of
  // conjunctions over two or more of the scan's columns (at most kMaxBranches branches;
  // a longer one is left out, which only loses precision). They never loosen `bounds`:
  // a row satisfies every bound and, in each disjunction, some branch. Usually empty.
  std::vector<Disjunction> disjunctions;
  // The scan provably reads nothing: a WHERE or INNER JOIN ... ON above it that no row can
  // pass (`WHERE 1 <> 1`, `WHERE false`), or a LIMIT 0 of a query it feeds (not through a
  // data-modifying CTE, which runs whatever the query takes of it). The probes BI tools
  // send to learn a result's columns.
  bool reads_nothing = false;
};

// The most branches a Disjunction keeps; an OR of more is represented by `bounds` alone.
inline constexpr size_t kMaxBranches = 64;

struct StatementFacts {
  StatementKind kind = StatementKind::Other;
  std::vector<Scan> scans;                  // tables read
  std::vector<TableRef> writes;             // tables written (INSERT/UPDATE/DELETE/MERGE/COPY/CTAS/DROP...)
  // The other objects the statement acts on, by schema (deny_statements matches them):
  // schemas themselves (DROP SCHEMA prod), functions, types, sequences, indexes, tables
  // it grants on, vacuums or locks, ... A name the catalog cannot resolve (functions,
  // types, indexes, sequences) written without a schema gives one entry per search_path
  // schema, since any of them may be the one the server picks.
  std::vector<ObjectRef> objects;
  // Non-empty when the statement may act on objects in every schema, saying why
  // (DROP OWNED, ... CASCADE, VACUUM of the whole database, ...).
  std::string any_schema;
  // The analysis cannot tell which objects the statement acts on (a form it does not
  // model): `names` then holds its identifiers and the search_path schemas.
  bool targets_unknown = false;
  // Code inside the statement that analysis does not read, e.g. "the body of a DO block":
  // `names` then holds the identifiers its tokens (and string literals) show.
  std::string opaque;
  // Non-empty when that code can run SQL built at run time, so that even its names are
  // unknown, saying why ("EXECUTE runs SQL built at run time").
  std::string opaque_dynamic;
  // The functions the statement calls anywhere (last names, lower case, sorted): policies
  // refuse those that run SQL text or read a table named in text (query_to_xml, dblink).
  std::vector<std::string> calls;
  std::optional<std::vector<std::string>> sets_search_path;  // SET search_path TO ...
  // The statement may change search_path in a way the text alone cannot pin down
  // (SET LOCAL, set_config('search_path', ...)): callers should stop trusting their copy.
  bool search_path_uncertain = false;
  int location = 0;                         // byte offset of the statement in the text
  int length = 0;                           // byte length (0 = to the end)
  std::string error;                        // Unparsed: the parser's message
  // What policies fail closed on when the statement (Unparsed), its targets
  // (targets_unknown) or part of it (opaque) could not be analysed: every identifier the
  // scanner sees, folded, with dotted sequences ("schema.table"), also inside string
  // literals (code in strings: procedure bodies, dynamic SQL).
  std::vector<std::string> names;
};

struct QueryFacts {
  std::vector<StatementFacts> statements;   // one per statement in the text
  int max_param = 0;                        // highest $n used
  std::string fingerprint;                  // libpg_query fingerprint (hex), "" if unparsed
};

}  // namespace blueshift::rewrite

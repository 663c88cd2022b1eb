// SQL-level prepared statements in a text: what its PREPARE, EXECUTE, DEALLOCATE and
// DISCARD ALL statements do to the session's named statements, in order. The proxy keeps
// them beside the extended protocol's (they share one namespace on the server) and decides
// a PREPARE whose policy needs its $n values at each EXECUTE, with the values substituted,
// as it decides a Parse at each Bind.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rewrite/statement_words.h"

namespace blueshift::rewrite {

// One argument of EXECUTE name(...).
struct SqlArgument {
  enum class Kind : uint8_t {
    Constant,  // an integer, string or boolean literal: `text` as the server reads it
    Null,      // NULL
    Param,     // $n of the enclosing extended-protocol statement (`param`, 1-based)
    Unknown,   // anything else (an expression, a cast, a decimal that the type may round)
  };
  Kind kind = Kind::Unknown;
  std::string text;
  int param = 0;
};

struct SqlPreparedStep {
  enum class Kind : uint8_t { Prepare, Execute, Deallocate, DeallocateAll };
  Kind kind = Kind::Execute;
  std::string name;                   // Prepare, Execute, Deallocate
  std::string query;                  // Prepare: the statement's text (after AS)
  // Prepare: the declared parameter types as type OIDs; 0 for none given (the server
  // infers it), and numeric (1700) for a type this does not know: a type that may make
  // the warehouse cast a partition column, so its values never count as a pruning bound.
  std::vector<uint32_t> param_types;
  std::vector<SqlArgument> args;      // Execute
  std::string tag;                    // the server's CommandComplete tag when it succeeds (not Execute)
};

struct SqlPreparedText {
  std::vector<SqlPreparedStep> steps;  // in the order they run
  size_t statements = 0;               // statements in the text
  // Too deeply nested to parse here: whatever EXECUTE it may hold is unknown. (A text the
  // grammar rejects has no steps: the server runs nothing of it.)
  bool unread = false;
};

// Cheap test: whether the text may hold any of these statements (its statement_words, no
// parse). False means scan_sql_prepared would find nothing.
[[nodiscard]] bool may_use_sql_prepared(StatementWords words);
[[nodiscard]] inline bool may_use_sql_prepared(std::string_view sql) { return may_use_sql_prepared(statement_words(sql)); }

// The steps of the text, including EXECUTE under EXPLAIN and CREATE TABLE AS.
[[nodiscard]] SqlPreparedText scan_sql_prepared(std::string_view sql);

// The OID of a type name as written in PREPARE's list (last name, lower case), per the
// rule of SqlPreparedStep::param_types.
[[nodiscard]] uint32_t prepare_type_oid(std::string_view name, bool array);

}  // namespace blueshift::rewrite

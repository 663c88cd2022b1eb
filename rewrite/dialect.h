// Redshift statements that PostgreSQL's grammar rejects, made analysable (internal).
//
// Works on scanner tokens, never on raw text patterns, so comments and string literals
// cannot fool it. Most rules blank tokens with spaces, which keeps every byte offset of
// the text valid for the parse tree's locations:
//   SELECT TOP n                      -> SELECT
//   ... QUALIFY expr                  -> ... HAVING expr (or AND expr after a HAVING): the
//                                        expression stays visible for columns_read, and
//                                        HAVING never bounds a scan
//   CREATE TABLE ... DISTKEY(c) SORTKEY(c) DISTSTYLE x ENCODE x BACKUP NO IDENTITY(1,1)
//                                     -> the same without those options
//   COPY t FROM 's3://...' IAM_ROLE '...' FORMAT AS PARQUET ... -> COPY t FROM 's3://...'
//   APPROXIMATE COUNT(...), IGNORE NULLS / RESPECT NULLS, WITH NO SCHEMA BINDING -> dropped
//   #name (a Redshift temp table)     -> _name, with the offset recorded
//   VARCHAR(MAX)                      -> VARCHAR(999) (PostgreSQL wants a number)
//   t PIVOT (agg(x) FOR c IN (...)) [AS] p, t UNPIVOT [INCLUDE|EXCLUDE NULLS] (v FOR n IN (...))
//                                     -> t p: the clause goes, the source stays (a subquery
//                                        without alias keeps the keyword as its alias), and
//                                        a PivotMark says what the outer query may no
//                                        longer read as the source's columns
//   FROM t, UNPIVOT t.obj AS v AT a   -> FROM t, t.obj AS v (SUPER navigation)
//   CONVERT(varchar(30), x)           -> CONVERT(varchar    , x): one word for the type, which
//                                        the walker then skips as it skips DATEADD's date part
// UNLOAD ('query') and CREATE EXTERNAL SCHEMA/TABLE have no PostgreSQL equivalent; they
// are recognised here and analysed by the caller (the UNLOAD query, the CETAS query).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {

// A PIVOT/UNPIVOT clause (or a chain of them) the rewrite removed: what it applied to,
// and the names written inside it. Outer references to a column whose name contains one
// of those names may mean a column the pivot produced (IN values and aliases, aggregate
// aliases, UNPIVOT's value and name columns, and their combinations), not the source's:
// they restrict nothing. Other columns are the source's, passed through (PIVOT groups by
// them, UNPIVOT repeats them), so filters on them still restrict the source.
struct PivotMark {
  std::vector<int> tables;                      // offsets of table names (RangeVar locations)
  std::vector<std::pair<int, int>> subqueries;  // byte ranges [first, second) of "( subquery )"
  std::vector<std::string> names;               // folded
};

struct DialectRewrite {
  enum class Form {
    Text,            // `text` is the rewritten statement (same length as the input)
    Unload,          // UNLOAD ('inner_query') TO ...
    CreateExternal,  // CREATE EXTERNAL SCHEMA/TABLE ...
  };
  Form form = Form::Text;
  std::string text;
  bool changed = false;
  std::vector<int> temp_positions;  // offsets (in the input) of `#` rewritten to `_`
  std::vector<std::string> temp_names;  // the rewritten names ("_name"), for names without locations
  // Offsets of the first select-list item of each SELECT whose TOP n was blanked: that
  // block still has a row limit, so filters must not be pushed into it.
  std::vector<int> limited_selects;
  std::vector<PivotMark> pivots;  // offsets relative to the input
  std::string inner_query;          // Unload: the query; CreateExternal: the AS query, if any
  // CreateExternal TABLE / ALTER TABLE / VACUUM: name parts, folded; CREATE EXTERNAL
  // SCHEMA: the schema's name.
  std::vector<std::string> name;
  bool external_schema = false;     // CREATE EXTERNAL SCHEMA
  bool alter_table = false;         // ALTER TABLE name ...: usable when nothing else parses
  // Redshift-only forms of statements that read no table data (VACUUM ... TO 75 PERCENT,
  // SHOW TABLES, GRANT ... TO ROLE, CANCEL): their first word, when nothing else parses.
  std::string dataless_command;
};

// `tokens` are the scanner's tokens of `text` (offsets relative to text).
[[nodiscard]] DialectRewrite redshift_rewrite(const std::string& text, const std::vector<pg::Token>& tokens,
                                              bool case_sensitive);

}  // namespace blueshift::rewrite

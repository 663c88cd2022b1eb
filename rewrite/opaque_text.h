// Text analysis does not read as SQL, reduced to the names policies fail closed on: a
// statement the parser rejected, a statement whose targets are not modelled, the body
// of a DO block or of a function.
//
// Names are every identifier-like token (folded per Redshift's rules) and every dotted
// sequence of them ("schema.table"), also inside string literals, which is where code
// hides in SQL: procedure bodies, EXECUTE 'select ...', dblink('...', 'select ...').
// Names assembled at run time ('sa' || 'les') are invisible to any token check; routine
// bodies that can do that say so (RoutineBody::dynamic) so that policies refuse them
// without looking for names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {

// `tokens` are the scanner's tokens of `text`. Sorted, without duplicates.
[[nodiscard]] std::vector<std::string> token_names(const std::string& text, const std::vector<pg::Token>& tokens,
                                                   bool case_sensitive);

// Scans `text` itself; text the scanner rejects is read by the quick lexer instead.
[[nodiscard]] std::vector<std::string> text_names(const std::string& text, bool case_sensitive);

// A routine body: DO '...' or CREATE FUNCTION/PROCEDURE ... AS '...'.
struct RoutineBody {
  // False for languages whose bodies cannot reach the database on Redshift and need a
  // superuser to create on PostgreSQL (plpythonu and the other untrusted languages, C,
  // internal): nothing in them is checked.
  bool read = true;
  std::vector<std::string> names;
  // Non-empty when the body can run SQL built at run time, so its names are not all
  // visible: why ("EXECUTE runs SQL built at run time", "language plperl ...").
  std::string dynamic;
};

// `language` as written (any case); "" means the default, PL/pgSQL for DO and SQL for
// functions, which the caller passes explicitly.
[[nodiscard]] RoutineBody read_routine_body(const std::string& body, std::string_view language, bool case_sensitive);

}  // namespace blueshift::rewrite

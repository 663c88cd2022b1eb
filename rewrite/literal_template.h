// Constants lifted out of a simple-protocol statement, so that statements that differ only
// in their literal values share one analysis.
//
// BI tools and scripts send the same statement over and over with other values in it
// (`WHERE aid = 4711`, then `WHERE aid = 815`). Each distinct text would otherwise be
// parsed and analysed anew (tens of µs); lifted, it is one cached analysis of
//   SELECT abalance FROM pgbench_accounts WHERE aid = $1
// whose bounds are then resolved with the values, exactly as for an extended-protocol
// statement whose values arrive at Bind. The decision is therefore the one the same
// statement gets over the extended protocol, which the proxy must get right anyway.
//
// Only what is certain to be a plain value is lifted, found with PostgreSQL's own scanner
// (pg_query_scan), never by pattern matching: unsigned numbers and standard '...' strings
// that follow an operator, '(' or ',' or one of AND OR NOT BETWEEN LIKE ILIKE WHEN THEN
// ELSE. A typed literal (DATE '...', INTERVAL '1 day'), the operand of a cast ('1'::int,
// CAST('1' AS int), CONVERT(int, '1')), a literal compared with another (`1 <> 1`), a signed number, E'...', $$...$$, LIMIT/TOP counts
// and anything after another word keep their text. Only a single SELECT or WITH statement
// is lifted; anything else (utility statements, several statements, text that already has
// $n, text the scanner rejects) is analysed as written.
//
// A lifted value is what the literal means to PostgreSQL, so that a refusal words it as
// analysis of the text does: an integer that fits int4 is its value (01 is "1") declared
// int4, other numbers keep their text declared numeric, strings keep their text exactly
// declared unknown (a string, as a quoted literal is: '01' stays '01').
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rewrite/bounds.h"
#include "rewrite/facts.h"

namespace blueshift::rewrite {

//
// Byte locations. The facts of a template (TableRef::location, StatementFacts::location)
// are offsets in the template's text, and one cached analysis serves every client text
// with that template, whatever the lengths of its literals. Rather than copying the facts
// per client text to move their offsets (a copy of every scan and bound on each query,
// which is what sharing the analysis saves), a template records where its literals were,
// and the caller maps the few offsets it splices at with client_offset(). client_facts()
// does both steps for a caller that keeps a copy anyway.
struct LiteralTemplate {
  std::string text;                // the statement with $1..$n in place of the lifted literals
  std::vector<ParamValue> values;  // text-format values, in $n order
  // For each lifted literal, in order: the end of its $n in `text` and the end of the
  // literal in the client's text.
  struct Shift {
    int template_end = 0;
    int client_end = 0;
  };
  std::vector<Shift> shifts;

  // The client text's byte offset for an offset in `text` that is not inside a $n (any
  // location in the template's facts); -1 stays -1.
  [[nodiscard]] int client_offset(int template_offset) const;
};

// nullopt when nothing is lifted (see above).
[[nodiscard]] std::optional<LiteralTemplate> lift_literals(const std::string& sql);

// Where a template's $n stand in its text, and what each replaced: decimal digits or a
// '...' string. A session keeps the shape of its last lifted text to lift the next one of
// the same shape (pgbench, a dashboard's filter) without the scanner.
struct TemplateShape {
  struct Slot {
    int start = 0;  // of "$n" in the template's text
    int end = 0;
    bool string = false;
  };
  std::vector<Slot> slots;
};

// The shape of `lifted`, made by lift_literals(sql); nullopt when a lifted literal is
// neither digits alone nor a '...' string (1.5, 1e3: such texts go to the scanner).
[[nodiscard]] std::optional<TemplateShape> shape_of(const LiteralTemplate& lifted, std::string_view sql);

// lift_literals(sql) when sql is the template's text with other literals of the same kinds
// in its $n places, byte for byte elsewhere; nullopt otherwise. Sound without the scanner
// because the scanner took the first text: with every other byte the same, where a run of
// digits or a '...' string ends depends only on the bytes after it, and which literals are
// lifted only on the tokens around them, which are the same.
[[nodiscard]] std::optional<LiteralTemplate> relift(std::string_view template_text, const TemplateShape& shape,
                                                    std::string_view sql);

// The facts of the client's text from those of its template: $n replaced by the lifted
// values (substitute_params) and every location mapped to the client's text.
[[nodiscard]] QueryFacts client_facts(const QueryFacts& template_facts, const LiteralTemplate& lifted);

}  // namespace blueshift::rewrite

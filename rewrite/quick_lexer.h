// A small, allocation-free SQL lexer for the two jobs that must run before (or without)
// libpg_query: bounding how deep a parse tree can get, and listing the names in text
// the PostgreSQL scanner itself rejects.
//
// Why the bound: libpg_query (and protobuf-c's unpack) recurse once per tree level, and
// a left-deep chain like `1+1+...+1` of a few thousand terms overflows an 8 MB stack.
// The analyzer uses the bound to parse deep statements on a thread with a big enough
// stack, and to refuse (as Unparsed) statements no stack would fit.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace blueshift::rewrite {

// An upper bound on parse-tree depth, in "units" of roughly one expression level each:
// per bracket level (parentheses, brackets, CASE...END) the number of operators in the
// longest operator chain between separators, plus JOIN/UNION chains, plus a constant;
// summed along the deepest bracket path. Over-estimates freely, never under-estimates
// for text the PostgreSQL scanner accepts (strings, quoted names, dollar quotes and
// comments are skipped as PostgreSQL skips them).
[[nodiscard]] int nesting_bound(std::string_view sql);

// Every identifier-like word and quoted name in the text, folded per Redshift's rules,
// plus dotted sequences ("schema.table"). Used to fail closed when nothing else lexes.
[[nodiscard]] std::vector<std::string> lex_names(std::string_view sql, bool case_sensitive);

}  // namespace blueshift::rewrite

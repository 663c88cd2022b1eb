// Redshift's identifier rules, in one place: how a name the parser returns is folded,
// and how a name written in SQL text (possibly quoted) reads.
//
// The PostgreSQL scanner already folds unquoted names to lower case and keeps quoted
// names as written; Redshift additionally folds quoted names unless
// enable_case_sensitive_identifier is on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace blueshift::rewrite {

// A name as the parser returned it, folded per Redshift (ASCII only, as Redshift does).
[[nodiscard]] std::string fold_parsed(std::string_view name, bool case_sensitive);

// A name as written in the text: "Quoted ""x""" -> Quoted "x" (then folded unless
// case_sensitive), unquoted -> lower case. U&"..." escapes are decoded for \XXXX and
// \+XXXXXX (ASCII results only; others are kept escaped, which never matches a name).
[[nodiscard]] std::string fold_written(std::string_view token, bool case_sensitive);

// ASCII letters only, as PostgreSQL folds keywords and unquoted names.
[[nodiscard]] inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
[[nodiscard]] std::string ascii_lower(std::string_view s);
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);

// The dotted name written at `offset` in `text` (a.b, "A"."b", a . b), folded; empty
// when no name starts there. Used where the parser truncated a long name (PostgreSQL
// keeps 63 bytes, Redshift 127).
[[nodiscard]] std::vector<std::string> written_name_at(std::string_view text, int offset, bool case_sensitive);
// The byte length of that dotted name as written (`"A" . b` is 7), 0 when none starts there.
[[nodiscard]] int written_name_length(std::string_view text, int offset);

// search_path as the server shows it in ParameterStatus and SHOW: `"$user", public, "My
// Schema"`. Quoted names keep their case and may hold `""` (a quote) and commas;
// unquoted ones are trimmed and fold to lower case (ASCII, as the server's
// SplitIdentifierString does); empty entries (`""`, `a,,b`) are skipped. Never fails:
// text the server would reject still gives its best reading (an unterminated quote ends
// at the end of the text).
[[nodiscard]] std::vector<std::string> parse_search_path(std::string_view text);

// Quotes an identifier for splicing into SQL (always double-quoted).
[[nodiscard]] std::string quote_identifier(std::string_view name);

}  // namespace blueshift::rewrite

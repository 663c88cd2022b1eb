// Redshift's identifier rules, in one place: how a name the parser returns is folded,
// and how a name written in SQL text (possibly quoted) reads.
//
// The PostgreSQL scanner already folds unquoted names to lower case and keeps quoted
// names as written; Redshift additionally folds quoted names unless
// enable_case_sensitive_identifier is on.
#pragma once

#include <string>
#include <string_view>

namespace blueshift::rewrite {

// A name as the parser returned it, folded per Redshift (ASCII only, as Redshift does).
[[nodiscard]] std::string fold_parsed(std::string_view name, bool case_sensitive);

// A name as written in the text: "Quoted ""x""" -> Quoted "x" (then folded unless
// case_sensitive), unquoted -> lower case. U&"..." escapes are decoded for \XXXX and
// \+XXXXXX (ASCII results only; others are kept escaped, which never matches a name).
[[nodiscard]] std::string fold_written(std::string_view token, bool case_sensitive);

[[nodiscard]] std::string ascii_lower(std::string_view s);
[[nodiscard]] bool iequals(std::string_view a, std::string_view b);

// Quotes an identifier for splicing into SQL (always double-quoted).
[[nodiscard]] std::string quote_identifier(std::string_view name);

}  // namespace blueshift::rewrite

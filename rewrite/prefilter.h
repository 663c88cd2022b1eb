// The fast path in front of the parser: could this text mention any governed name?
//
// A false answer must be certain (no false negatives): the text is then forwarded
// without analysis. A true answer only means "parse it". The test is on identifier
// runs of the raw text, case-insensitive, so "Sales", "SALES" and spectrum_schema.sales
// match sales, and so does a name inside a string or comment (UNLOAD ('select ... sales')).
// Texts that could spell a name in a way no substring shows (U&"\0073ales", backslash
// escapes in E'' strings) always answer true.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace blueshift::rewrite {

class Prefilter {
 public:
  // Table names, lower case; "schema.table" entries are reduced to the table name.
  explicit Prefilter(const std::vector<std::string>& lowercase_names);
  [[nodiscard]] bool may_reference(std::string_view sql) const;
  [[nodiscard]] bool empty() const { return words_.empty() && others_.empty(); }

 private:
  std::unordered_set<std::string> words_;  // names made of identifier characters only
  uint64_t word_lengths_ = 0;              // bit min(length, 63) set for each of words_
  std::vector<std::string> others_;        // names with other characters (quoted names)
};

// One-shot form: builds a Prefilter each call (use the class for many calls).
[[nodiscard]] bool may_reference(std::string_view sql, const std::vector<std::string>& lowercase_names);

}  // namespace blueshift::rewrite

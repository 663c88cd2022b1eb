// The fast path in front of the parser: could this text mention any governed name?
//
// A false answer must be certain (no false negatives): the text is then forwarded
// without analysis. A true answer only means "parse it". The test is on identifier
// runs of the raw text, case-insensitive, so "Sales", "SALES" and spectrum_schema.sales
// match sales, and so does a name inside a string or comment (UNLOAD ('select ... sales')).
// Texts that could spell a name in a way no substring shows (U&"\0073ales", backslash
// escapes in E'' strings) always answer true.
//
// One pass can answer for several name lists at once: referenced() says which names the
// text may mention as a bit mask, and bits_of() gives the mask of a list, so a caller
// with many lists (the Governor: one per rule) scans each text once.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace blueshift::rewrite {

class Prefilter {
 public:
  // Table names, lower case; "schema.table" entries are reduced to the table name.
  explicit Prefilter(const std::vector<std::string>& lowercase_names);
  [[nodiscard]] bool may_reference(std::string_view sql) const { return referenced(sql) != 0; }
  // The names the text may mention: name i of the constructor's list is bit i % 64. Past
  // 64 names several share a bit, which only errs towards "maybe". A text with an
  // escape that could spell any name answers every bit.
  [[nodiscard]] uint64_t referenced(std::string_view sql) const;
  // The bits of these names (normalised as the constructor does); 0 for names not in the
  // filter. A text may mention one of them when referenced(text) & bits_of(them) != 0.
  [[nodiscard]] uint64_t bits_of(const std::vector<std::string>& lowercase_names) const;
  [[nodiscard]] bool empty() const { return words_.empty() && others_.empty(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Whether words_ may hold a word of this length and first character: most of a text's
  // words are passed over on these two alone, without folding or hashing them.
  [[nodiscard]] bool may_be_name(std::string_view word) const;
  // Names made of identifier characters only, with their bits (names that reduce to the
  // same table name share an entry); looked up by a view of the folded word.
  std::unordered_map<std::string, uint64_t, Hash, std::equal_to<>> words_;
  // By min(length, 63): a bit for each first character of words_ of that length (initial()).
  std::array<uint32_t, 64> initials_{};
  uint64_t all_bits_ = 0;      // every name's bit
  std::vector<std::pair<std::string, uint64_t>> others_;  // names with other characters (quoted names)
};

// One-shot form: builds a Prefilter each call (use the class for many calls).
[[nodiscard]] bool may_reference(std::string_view sql, const std::vector<std::string>& lowercase_names);

}  // namespace blueshift::rewrite

#include "rewrite/prefilter.h"

#include <algorithm>
#include <array>

#include "rewrite/identifiers.h"

namespace blueshift::rewrite {
namespace {

// Identifier characters as PostgreSQL lexes them, minus '$' (a dollar-quote delimiter
// glued to a name, as in $$select * from sales$$, must not hide it).
constexpr bool is_word_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}
// The same as a table: every byte of every text is asked.
constexpr auto kWordChars = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = is_word_char(static_cast<unsigned char>(c));
  return t;
}();
bool word_char(unsigned char c) { return kWordChars[c]; }
bool digit(unsigned char c) { return c >= '0' && c <= '9'; }

// "schema.table" -> "table", lower case.
std::string table_part(const std::string& raw) {
  std::string name = ascii_lower(raw);
  const size_t dot = name.rfind('.');
  if (dot != std::string::npos) name = name.substr(dot + 1);
  return name;
}

// A word's first character as a bit of Prefilter::initials_: each ASCII letter in either
// case, '_', any digit, any byte past 0x7f (classes, so that a byte never misses its own).
constexpr uint32_t initial_of(unsigned char u) {
  if (u >= 'a' && u <= 'z') return uint32_t{1} << (u - 'a');
  if (u >= 'A' && u <= 'Z') return uint32_t{1} << (u - 'A');
  if (u == '_') return uint32_t{1} << 26;
  if (u >= '0' && u <= '9') return uint32_t{1} << 27;
  return uint32_t{1} << 28;
}
constexpr auto kInitials = [] {
  std::array<uint32_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = initial_of(static_cast<unsigned char>(c));
  return t;
}();
uint32_t initial(char c) { return kInitials[static_cast<unsigned char>(c)]; }

size_t length_slot(size_t n) { return std::min<size_t>(n, 63); }

bool plain_word(const std::string& name) {
  return std::all_of(name.begin(), name.end(), [](char c) { return word_char(static_cast<unsigned char>(c)); });
}

}  // namespace

Prefilter::Prefilter(const std::vector<std::string>& lowercase_names) {
  for (size_t i = 0; i < lowercase_names.size(); ++i) {
    std::string name = table_part(lowercase_names[i]);
    if (name.empty()) continue;
    const uint64_t bit = uint64_t{1} << (i % 64);
    all_bits_ |= bit;
    if (plain_word(name)) {
      initials_[length_slot(name.size())] |= initial(name[0]);
      words_[std::move(name)] |= bit;
    } else {
      const auto same = std::find_if(others_.begin(), others_.end(), [&](const auto& o) { return o.first == name; });
      if (same != others_.end()) {
        same->second |= bit;
      } else {
        others_.emplace_back(std::move(name), bit);
      }
    }
  }
}

uint64_t Prefilter::bits_of(const std::vector<std::string>& lowercase_names) const {
  uint64_t bits = 0;
  for (const auto& raw : lowercase_names) {
    const std::string name = table_part(raw);
    if (const auto it = words_.find(name); it != words_.end()) bits |= it->second;
    for (const auto& [other, bit] : others_) {
      if (other == name) bits |= bit;
    }
  }
  return bits;
}

bool Prefilter::may_be_name(std::string_view word) const {
  return !word.empty() && (initials_[length_slot(word.size())] & initial(word[0])) != 0;
}

uint64_t Prefilter::referenced(std::string_view sql) const {
  if (empty()) return 0;
  const size_t n = sql.size();
  uint64_t found = 0;
  // Folded on the stack: a word of a governed name's length (pgbench_accounts is 16) would
  // take an allocation as a std::string.
  std::array<char, 64> small{};
  std::string large;
  const auto look_up = [&](std::string_view word) {
    if (!may_be_name(word)) return;
    char* folded = word.size() <= small.size() ? small.data() : (large.resize(word.size()), large.data());
    for (size_t k = 0; k < word.size(); ++k) folded[k] = ascii_lower(word[k]);
    if (const auto it = words_.find(std::string_view(folded, word.size())); it != words_.end()) found |= it->second;
  };
  for (size_t i = 0; i < n;) {
    const unsigned char c = static_cast<unsigned char>(sql[i]);
    if (!word_char(c)) {
      // Escapes that can spell a name without its letters.
      if (c == '\\') return all_bits_;
      if (c == '&' && i > 0 && (sql[i - 1] == 'u' || sql[i - 1] == 'U')) return all_bits_;
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < n && digit(static_cast<unsigned char>(sql[i]))) ++i;
    const size_t letters = i;
    while (i < n && word_char(static_cast<unsigned char>(sql[i]))) ++i;
    if (words_.empty()) continue;
    look_up(sql.substr(start, i - start));
    // "1sales" lexes as a number and then a name.
    if (letters != start && letters != i) look_up(sql.substr(letters, i - letters));
  }
  if (!others_.empty()) {
    const std::string lower = ascii_lower(sql);
    for (const auto& [name, bit] : others_) {
      if (lower.find(name) != std::string::npos) found |= bit;
    }
  }
  return found;
}

bool may_reference(std::string_view sql, const std::vector<std::string>& lowercase_names) {
  return Prefilter(lowercase_names).may_reference(sql);
}

}  // namespace blueshift::rewrite

#include "rewrite/prefilter.h"

#include <algorithm>

#include "rewrite/identifiers.h"

namespace blueshift::rewrite {
namespace {

// Identifier characters as PostgreSQL lexes them, minus '$' (a dollar-quote delimiter
// glued to a name, as in $$select * from sales$$, must not hide it).
bool word_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

// "schema.table" -> "table", lower case.
std::string table_part(const std::string& raw) {
  std::string name = ascii_lower(raw);
  const size_t dot = name.rfind('.');
  if (dot != std::string::npos) name = name.substr(dot + 1);
  return name;
}

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
      word_lengths_ |= uint64_t{1} << std::min<size_t>(name.size(), 63);
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

uint64_t Prefilter::referenced(std::string_view sql) const {
  if (empty()) return 0;
  const size_t n = sql.size();
  uint64_t found = 0;
  std::string run;
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
    while (i < n && word_char(static_cast<unsigned char>(sql[i]))) ++i;
    if (words_.empty()) continue;
    // Most words are skipped on their length alone. (A word with leading digits is
    // looked at in full: "1sales" lexes as a number and then a name.)
    const bool digit_first = sql[start] >= '0' && sql[start] <= '9';
    if (!digit_first && (word_lengths_ & (uint64_t{1} << std::min<size_t>(i - start, 63))) == 0) continue;
    run.assign(sql.substr(start, i - start));
    for (char& ch : run) {
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    }
    if (const auto it = words_.find(run); it != words_.end()) found |= it->second;
    // "1sales" lexes as a number and then a name.
    const size_t digits = run.find_first_not_of("0123456789");
    if (digits != 0 && digits != std::string::npos) {
      if (const auto it = words_.find(run.substr(digits)); it != words_.end()) found |= it->second;
    }
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

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

}  // namespace

Prefilter::Prefilter(const std::vector<std::string>& lowercase_names) {
  for (const auto& raw : lowercase_names) {
    std::string name = ascii_lower(raw);
    const size_t dot = name.rfind('.');
    if (dot != std::string::npos) name = name.substr(dot + 1);
    if (name.empty()) continue;
    bool plain = true;
    for (unsigned char c : name) plain = plain && word_char(c);
    if (plain) {
      word_lengths_ |= uint64_t{1} << std::min<size_t>(name.size(), 63);
      words_.insert(std::move(name));
    } else {
      others_.push_back(std::move(name));
    }
  }
}

bool Prefilter::may_reference(std::string_view sql) const {
  if (empty()) return false;
  const size_t n = sql.size();
  std::string run;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(sql[i]);
    // Escapes that can spell a name without its letters.
    if (c == '\\') return true;
    if (c == '&' && i > 0 && (sql[i - 1] == 'u' || sql[i - 1] == 'U')) return true;
  }
  if (!words_.empty()) {
    for (size_t i = 0; i < n;) {
      if (!word_char(static_cast<unsigned char>(sql[i]))) {
        ++i;
        continue;
      }
      const size_t start = i;
      while (i < n && word_char(static_cast<unsigned char>(sql[i]))) ++i;
      // Most words are skipped on their length alone. (A word with leading digits is
      // looked at in full: "1sales" lexes as a number and then a name.)
      const bool digit_first = sql[start] >= '0' && sql[start] <= '9';
      if (!digit_first && (word_lengths_ & (uint64_t{1} << std::min<size_t>(i - start, 63))) == 0) continue;
      run.assign(sql.substr(start, i - start));
      for (char& ch : run) {
        if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
      }
      if (words_.count(run) != 0) return true;
      // "1sales" lexes as a number and then a name.
      const size_t digits = run.find_first_not_of("0123456789");
      if (digits != 0 && digits != std::string::npos && words_.count(run.substr(digits)) != 0) return true;
    }
  }
  if (!others_.empty()) {
    const std::string lower = ascii_lower(sql);
    for (const auto& name : others_) {
      if (lower.find(name) != std::string::npos) return true;
    }
  }
  return false;
}

bool may_reference(std::string_view sql, const std::vector<std::string>& lowercase_names) {
  return Prefilter(lowercase_names).may_reference(sql);
}

}  // namespace blueshift::rewrite

#include "rewrite/plan.h"

#include <algorithm>

namespace blueshift::rewrite {

std::string plan_tag(const Plan& plan, uint64_t rows) {
  std::string out = plan.tag;
  constexpr std::string_view marker = "{rows}";
  if (const size_t at = out.find(marker); at != std::string::npos) out.replace(at, marker.size(), std::to_string(rows));
  return out;
}

uint64_t tag_rows(std::string_view tag) {
  const size_t space = tag.rfind(' ');
  if (space == std::string_view::npos) return 0;
  uint64_t n = 0;
  for (const char c : tag.substr(space + 1)) {
    if (c < '0' || c > '9') return 0;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

std::string splice(std::string_view sql, std::vector<Splice> edits) {
  std::sort(edits.begin(), edits.end(), [](const Splice& a, const Splice& b) { return a.location < b.location; });
  std::string out;
  size_t at = 0;
  for (const Splice& e : edits) {
    const auto begin = static_cast<size_t>(std::max(e.location, 0));
    if (begin < at || begin > sql.size()) continue;  // overlapping or outside: skipped
    out.append(sql.substr(at, begin - at));
    out.append(e.text);
    at = std::min(sql.size(), begin + static_cast<size_t>(std::max(e.length, 0)));
  }
  out.append(sql.substr(at));
  return out;
}

}  // namespace blueshift::rewrite

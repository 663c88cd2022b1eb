#include "rewrite/facts_text.h"

#include "rewrite/bounds.h"

namespace blueshift::rewrite {

std::string describe(const TableRef& t) {
  std::string out = t.qualified();
  if (!t.alias.empty()) out += " AS " + t.alias;
  return out;
}

std::string describe(const Scan& scan) {
  std::string out = "read " + describe(scan.table);
  bool first = true;
  for (const auto& [column, bound] : scan.bounds) {
    std::string part = describe(bound, column);
    if (bound.op == Bound::Op::Or) part = "(" + part + ")";
    out += (first ? " WHERE " : " AND ") + part;
    first = false;
  }
  for (const auto& d : scan.disjunctions) {
    out += (first ? " WHERE (" : " AND (") + describe(d) + ")";
    first = false;
  }
  if (scan.reads_nothing) out += " READS NOTHING";
  return out;
}

std::string describe(const StatementFacts& st) {
  std::string out = to_string(st.kind);
  std::string body;
  auto add = [&](const std::string& s) { body += (body.empty() ? "" : "; ") + s; };
  for (const auto& scan : st.scans) add(describe(scan));
  for (const auto& w : st.writes) add("write " + w.qualified());
  for (const auto& o : st.objects) add("object " + o.type + " " + o.qualified());
  if (!st.any_schema.empty()) add("any schema");
  if (st.targets_unknown) add("targets unknown");
  if (!st.opaque.empty()) add(st.opaque_dynamic.empty() ? "opaque" : "opaque dynamic");
  if (st.sets_search_path) {
    std::string path;
    for (const auto& s : *st.sets_search_path) path += (path.empty() ? "" : ",") + s;
    add("search_path=" + path);
  }
  return body.empty() ? out : out + ": " + body;
}

std::string describe(const QueryFacts& facts) {
  std::string out;
  for (const auto& st : facts.statements) out += (out.empty() ? "" : " | ") + describe(st);
  return out;
}

}  // namespace blueshift::rewrite

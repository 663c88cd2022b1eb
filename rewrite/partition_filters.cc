#include "rewrite/partition_filters.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "rewrite/identifiers.h"
#include "rewrite/pg_parser.h"
#include "rewrite/plan.h"

namespace blueshift::rewrite {
namespace {

bool filters_partitions(const Scan& scan, const PartitionScheme& scheme) {
  for (const auto& p : scheme) {
    if (auto it = scan.bounds.find(p.name); it != scan.bounds.end() && it->second.op != Bound::Op::True) return true;
    for (const auto& d : scan.disjunctions) {
      for (const auto& branch : d) {
        if (branch.count(p.name) != 0) return true;
      }
    }
  }
  return false;
}

// What the derived table selects: the columns the statement reads from the scan, so that
// it reads (and is billed for) no more than the client's text, and policies against
// SELECT * see none. `*` where that list may be wrong or change the meaning: the client
// selects * itself, a column is also listed for another scan of the statement (an
// unqualified name the analysis could not attribute is listed for every candidate), or a
// NATURAL join (its join columns are the ones both sides output).
std::string projection(const Scan& scan, const StatementFacts& st, std::string_view statement,
                       const std::string& date_column) {
  if (scan.select_star || ascii_lower(statement).find("natural") != std::string::npos) return "*";
  std::vector<std::string> columns = scan.columns_read;
  if (std::find(columns.begin(), columns.end(), date_column) == columns.end()) columns.push_back(date_column);
  for (const auto& other : st.scans) {
    if (&other == &scan) continue;
    for (const auto& c : other.columns_read) {
      if (std::find(columns.begin(), columns.end(), c) != columns.end()) return "*";
    }
  }
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + quote_identifier(c);
  return out;
}

}  // namespace

bool reads_only(StatementKind kind) {
  return kind == StatementKind::Select || kind == StatementKind::Insert || kind == StatementKind::CreateTableAs ||
         kind == StatementKind::Explain;
}

std::string_view statement_text(std::string_view sql, const StatementFacts& st) {
  const size_t end = st.length > 0 ? static_cast<size_t>(st.location + st.length) : sql.size();
  return sql.substr(static_cast<size_t>(st.location), end - static_cast<size_t>(st.location));
}

bool qualifies_columns_by_schema(std::string_view text, const std::string& name) {
  const std::string lower = ascii_lower(text);
  for (size_t at = lower.find(name); at != std::string::npos; at = lower.find(name, at + 1)) {
    size_t before = at, after = at + name.size();
    if (before > 0 && lower[before - 1] == '"') --before;
    if (after < lower.size() && lower[after] == '"') ++after;
    if (before > 0 && lower[before - 1] == '.' && after < lower.size() && lower[after] == '.') return true;
  }
  return false;
}

std::string day_text(const std::optional<absl::CivilDay>& d) {
  if (!d) return "";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d->year()), d->month(), d->day());
  return buf;
}

std::optional<RoutedText> finish_routing(std::string_view sql, std::vector<Splice> edits,
                                         std::vector<std::string> routes, const PartitionFilterOptions& options) {
  if (edits.empty()) return std::nullopt;
  RoutedText out;
  out.sql = splice(sql, std::move(edits));
  out.routes = std::move(routes);
  if (out.sql.find('\0') != std::string::npos) return std::nullopt;
  if (!(options.is_sql ? options.is_sql(out.sql) : pg::parse(out.sql).tree != nullptr)) return std::nullopt;
  return out;
}

namespace {

// The configured table of a read scan that gets partition predicates from its date bound,
// and that bound; null when the scan is left as written whatever the dates.
const DatePartitionedTable* dated_scan(const Scan& scan, const DatePartitionedLookup& lookup,
                                       const PartitionFilterOptions& options, const Bound** date) {
  const TableRef& t = scan.table;
  if (t.location < 0 || t.length <= 0 || t.temporary) return nullptr;
  if (options.search_path_uncertain && !t.written_qualified) return nullptr;
  const DatePartitionedTable* table = lookup(t.schema, t.name);
  if (table == nullptr || filters_partitions(scan, table->partitions)) return nullptr;
  const auto found = scan.bounds.find(table->date_column);
  if (found == scan.bounds.end()) return nullptr;
  *date = &found->second;
  return table;
}

bool has_param(const Bound& b) {
  return std::any_of(b.values.begin(), b.values.end(), [](const Value& v) { return v.kind == Value::Kind::Param; }) ||
         std::any_of(b.children.begin(), b.children.end(), has_param);
}

}  // namespace

bool dated_by_params(const QueryFacts& facts, const DatePartitionedLookup& lookup,
                     const PartitionFilterOptions& options) {
  for (const auto& st : facts.statements) {
    if (!reads_only(st.kind)) continue;
    for (const auto& scan : st.scans) {
      const Bound* date = nullptr;
      if (dated_scan(scan, lookup, options, &date) != nullptr && has_param(*date)) return true;
    }
  }
  return false;
}

void partition_filter_edits(std::string_view sql, const QueryFacts& facts, const DatePartitionedLookup& lookup,
                            const PartitionFilterOptions& options, std::vector<Splice>* edits,
                            std::vector<std::string>* routes) {
  for (const auto& st : facts.statements) {
    if (!reads_only(st.kind)) continue;
    const std::string_view statement = statement_text(sql, st);
    for (const auto& scan : st.scans) {
      const TableRef& t = scan.table;
      const Bound* date = nullptr;
      const DatePartitionedTable* table = dated_scan(scan, lookup, options, &date);
      if (table == nullptr) continue;
      const DateInterval interval = date_interval(*date, options.clock);
      const std::string predicate = partition_predicate(interval, table->partitions);
      if (predicate.empty()) continue;
      if (t.written_qualified && qualifies_columns_by_schema(statement, t.name)) continue;
      const std::string written(sql.substr(static_cast<size_t>(t.location), static_cast<size_t>(t.length)));
      std::string derived = "(SELECT " + projection(scan, st, statement, table->date_column) + " FROM " + written +
                            " WHERE " + predicate + ")";
      if (t.alias.empty()) derived += " AS " + quote_identifier(t.name);
      edits->push_back(Splice{t.location, t.length, std::move(derived)});
      routes->push_back(table->qualified() + ": " + table->date_column + " " + day_text(interval.first) + ".." +
                           day_text(interval.last) + " -> " + predicate);
    }
  }
}

std::optional<RoutedText> add_partition_filters(std::string_view sql, const QueryFacts& facts,
                                                const DatePartitionedLookup& lookup,
                                                const PartitionFilterOptions& options) {
  std::vector<Splice> edits;
  std::vector<std::string> routes;
  partition_filter_edits(sql, facts, lookup, options, &edits, &routes);
  return finish_routing(sql, std::move(edits), std::move(routes), options);
}

}  // namespace blueshift::rewrite

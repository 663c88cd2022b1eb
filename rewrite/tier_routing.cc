#include "rewrite/tier_routing.h"

#include <algorithm>
#include <cctype>

#include "rewrite/identifiers.h"
#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {
namespace {

using Served = TierRoute::Served;

// Which tiers hold the interval's rows, given where the local table begins.
Served serve(const DateInterval& interval, Tier tier, const std::optional<absl::CivilDay>& split) {
  if (tier == Tier::Local) return Served::Local;
  if (tier == Tier::External || !split) return Served::External;
  if (interval.empty || (interval.first && *interval.first >= *split)) return Served::Local;
  if (interval.last && *interval.last < *split) return Served::External;
  return Served::Both;
}

// The days the external part reads: the interval, cut at the split when the local part
// serves the rest.
DateInterval external_part(DateInterval interval, Served served, const std::optional<absl::CivilDay>& split) {
  if (served != Served::Both) return interval;
  const absl::CivilDay before = *split - 1;
  if (!interval.last || *interval.last > before) interval.last = before;
  return interval;
}

std::string date_literal(absl::CivilDay day) { return "DATE '" + day_text(day) + "'"; }

// SELECT of the local table's columns, in its order, from one tier.
std::string select_list(const TierPair& pair, bool external) {
  std::string out;
  for (const auto& c : pair.columns) {
    out += out.empty() ? "" : ", ";
    const std::string& name = external ? pair.external_column(c) : c;
    out += quote_identifier(name);
    if (name != c) out += " AS " + quote_identifier(c);
  }
  return out;
}

std::string where_all(const std::vector<std::string>& conditions) {
  std::string out;
  for (const auto& c : conditions) {
    if (c.empty()) continue;
    out += (out.empty() ? " WHERE " : " AND ") + c;
  }
  return out;
}

// The derived table that replaces the reference of the local table.
std::string derived_table(const TierPair& pair, const TierRoute& route, std::string_view written_local) {
  const std::string split_column = quote_identifier(pair.external_column(pair.date_column));
  const std::string external_name = quote_identifier(pair.external_schema) + "." + quote_identifier(pair.external_name);
  std::string out = "(SELECT " + select_list(pair, true) + " FROM " + external_name;
  if (route.served == Served::External) return out + where_all({route.partition_predicate}) + ")";
  out += where_all({split_column + " < " + date_literal(*route.split), route.partition_predicate});
  out += " UNION ALL SELECT " + select_list(pair, false) + " FROM " + std::string(written_local);
  return out + where_all({quote_identifier(pair.date_column) + " >= " + date_literal(*route.split)}) + ")";
}

// Whether a scan of the pair's local table can take a derived table in its place.
bool spliceable(const TableRef& t, std::string_view statement, const TierOptions& options) {
  if (t.location < 0 || t.length <= 0 || t.temporary) return false;
  if (options.filters.search_path_uncertain && !t.written_qualified) return false;
  return !(t.written_qualified && qualifies_columns_by_schema(statement, t.name));
}

// The tier edit of one scan, if it changes anything; the decision goes to *routes.
void route_scan(std::string_view sql, const Scan& scan, const TierPair& pair, Tier tier, const TierOptions& options,
                std::vector<Splice>* edits, std::vector<TierRoute>* routes) {
  TierRoute route;
  route.pair = &pair;
  const auto date = scan.bounds.find(pair.date_column);
  route.interval = date == scan.bounds.end() ? DateInterval{} : date_interval(date->second, options.filters.clock);
  route.split = options.split ? options.split(pair) : std::nullopt;
  route.served = serve(route.interval, tier, route.split);
  if (route.served != Served::Local) {
    route.partition_predicate =
        partition_predicate(external_part(route.interval, route.served, route.split), pair.partitions);
    const TableRef& t = scan.table;
    const std::string_view written = sql.substr(static_cast<size_t>(t.location), static_cast<size_t>(t.length));
    std::string derived = derived_table(pair, route, written);
    if (t.alias.empty()) derived += " AS " + quote_identifier(t.name);
    edits->push_back(Splice{t.location, t.length, std::move(derived)});
  }
  if (routes != nullptr) routes->push_back(std::move(route));
}

// The text of a comment's `blueshift:tier=<word>`, or "".
std::string_view comment_tier_word(std::string_view comment) {
  constexpr std::string_view kKey = "blueshift:tier=";
  const size_t at = comment.find(kKey);
  if (at == std::string_view::npos) return {};
  const size_t from = at + kKey.size();
  size_t to = from;
  while (to < comment.size() && std::isalpha(static_cast<unsigned char>(comment[to])) != 0) ++to;
  return comment.substr(from, to - from);
}

}  // namespace

std::optional<Tier> parse_tier(std::string_view word) {
  const std::string w = ascii_lower(word);
  if (w == "auto") return Tier::Auto;
  if (w == "local") return Tier::Local;
  if (w == "external") return Tier::External;
  return std::nullopt;
}

const char* to_string(Tier tier) {
  switch (tier) {
    case Tier::Local: return "local";
    case Tier::External: return "external";
    case Tier::Auto: break;
  }
  return "auto";
}

const std::string& TierPair::external_column(const std::string& local) const {
  const auto it = external_columns.find(local);
  return it == external_columns.end() ? local : it->second;
}

std::string TierRoute::text() const {
  std::string out = pair->local() + ": " + pair->date_column + " " + day_text(interval.first) + ".." +
                    day_text(interval.last) + ", local from " + (split ? day_text(*split) : "unknown") + " -> ";
  switch (served) {
    case Served::Local: return out + "local";
    case Served::External: out += "external " + pair->external(); break;
    case Served::Both: out += "external " + pair->external() + " and local"; break;
  }
  return out + (partition_predicate.empty() ? ", every partition" : ", partitions " + partition_predicate);
}

std::optional<Tier> tier_comment(const std::string& sql) {
  if (sql.find("blueshift:tier=") == std::string::npos) return std::nullopt;
  std::vector<pg::Token> tokens;
  std::string error;
  if (!pg::scan_unfolded(sql, &tokens, &error)) return std::nullopt;
  // Comments are what lies between tokens (the scanner drops them, and whitespace).
  size_t gap = 0;
  for (size_t i = 0; i <= tokens.size(); ++i) {
    const size_t end = i < tokens.size() ? static_cast<size_t>(tokens[i].start) : sql.size();
    const std::string_view word = comment_tier_word(std::string_view(sql).substr(gap, end - gap));
    if (!word.empty()) return parse_tier(word);
    if (i < tokens.size()) gap = static_cast<size_t>(tokens[i].end);
  }
  return std::nullopt;
}

std::optional<RoutedText> route_tiers(std::string_view sql, const QueryFacts& facts, const TierLookup& tiers,
                                      const DatePartitionedLookup& external, const TierOptions& options,
                                      std::vector<TierRoute>* routes) {
  const Tier tier = tier_comment(std::string(sql)).value_or(options.tier);
  std::vector<Splice> edits;
  std::vector<std::string> lines;
  std::vector<TierRoute> decided;
  for (const auto& st : facts.statements) {
    if (!reads_only(st.kind)) continue;
    const std::string_view statement = statement_text(sql, st);
    for (const auto& scan : st.scans) {
      const TierPair* pair = tiers(scan.table.schema, scan.table.name);
      if (pair == nullptr || !spliceable(scan.table, statement, options)) continue;
      route_scan(sql, scan, *pair, tier, options, &edits, &decided);
    }
  }
  for (const auto& r : decided) {
    if (r.served != Served::Local) lines.push_back(r.text());
  }
  partition_filter_edits(sql, facts, external, options.filters, &edits, &lines);
  if (routes != nullptr) *routes = std::move(decided);
  return finish_routing(sql, std::move(edits), std::move(lines), options.filters);
}

}  // namespace blueshift::rewrite

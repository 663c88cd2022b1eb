// SQL analysis with the real PostgreSQL parser (libpg_query): SQL text -> QueryFacts.
//
// Never fails on bad SQL: text the grammar rejects yields StatementFacts of kind
// Unparsed (with the scanner's identifiers, so callers can fail closed), after the
// Redshift dialect rules (TOP, QUALIFY, UNLOAD, COPY ... IAM_ROLE, CREATE EXTERNAL,
// DISTKEY/SORTKEY/ENCODE, PIVOT/UNPIVOT, CONVERT(type, x), ...) had their chance.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rewrite/facts.h"

namespace blueshift::rewrite {

struct AnalysisContext {
  // Effective search_path, already expanded ("$user" replaced by the session user).
  std::vector<std::string> search_path = {"public"};
  // Redshift's enable_case_sensitive_identifier: when off, quoted names fold to lower case too.
  bool case_sensitive_identifiers = false;
  // Whether schema.name exists, to resolve unqualified names through search_path; when
  // empty, an unqualified name resolves to the first schema of search_path.
  std::function<bool(std::string_view schema, std::string_view name)> relation_exists;
  // A table's column names (folded), nullopt when unknown. Lets an unqualified column in
  // a join be attributed to the one table that has it; without it such a column belongs
  // to no table (and restricts none). Optional.
  std::function<std::optional<std::vector<std::string>>(std::string_view schema, std::string_view name)> columns_of;
  // A text longer than this (bytes; 0: no limit) is not parsed: it is Unparsed, with the
  // names the quick lexer finds, so that policies fail closed on it. Parsing and walking
  // cost about a microsecond a byte (a 7 MB OR chain took 11 s).
  size_t max_bytes = 0;
};

[[nodiscard]] QueryFacts analyze(std::string_view sql, const AnalysisContext& context);

// Bounded, thread-safe cache of analyses keyed by statement text and the context facts
// that change the result (search_path, case sensitivity). Bounded in entries and in bytes
// (keys and an estimate of the facts); texts over 64 KiB are never kept.
class AnalysisCache {
 public:
  explicit AnalysisCache(size_t max_entries = 10000, size_t max_bytes = 64u << 20);
  ~AnalysisCache();
  [[nodiscard]] std::shared_ptr<const QueryFacts> analyze(std::string_view sql, const AnalysisContext& context);
  // The cached facts of sql, or null; counts a hit or a miss like analyze.
  [[nodiscard]] std::shared_ptr<const QueryFacts> find(std::string_view sql, const AnalysisContext& context);
  // Caches facts derived by other means for sql (e.g. from a lifted template).
  void insert(std::string_view sql, const AnalysisContext& context, std::shared_ptr<const QueryFacts> facts);
  [[nodiscard]] size_t size() const;
  [[nodiscard]] size_t bytes() const;  // charged against max_bytes
  [[nodiscard]] uint64_t hits() const;
  [[nodiscard]] uint64_t misses() const;
  // Drops every entry: call when what the callbacks answer changes (catalog refresh),
  // since the key holds only the text, search_path and case sensitivity.
  void clear();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace blueshift::rewrite

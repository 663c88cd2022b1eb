// How names resolve.
//
// Scopes and entries. Each query block (a SELECT, a set operation, VALUES) has a scope:
// the FROM entries in order, plus the enclosing query's scope for correlated references.
// An entry is a table scan, a subquery/CTE (a Block with outputs), a function, or a
// SUPER navigation into an earlier entry's column.
//
// Column resolution. `alias.col` finds the entry by name, innermost scope first.
// An unqualified column belongs to the one entry of the innermost scope that could own
// it: a subquery owns the columns it outputs, a table owns anything unless
// AnalysisContext::columns_of says otherwise. Two candidates make it ambiguous: it then
// bounds nothing (and is listed in columns_read of every candidate table, since
// columns_read is used to fail closed).

#include "rewrite/name_resolution.h"

#include <algorithm>

#include "rewrite/pg_parser.h"

namespace blueshift::rewrite {
namespace {

using Node = PgQuery__Node;

using pg::first_location;
using pg::has;
using pg::str_node;
using pg::sv;

bool is_system_name(std::string_view n) {
  static constexpr std::string_view kPrefixes[] = {"pg_", "stl_", "stv_", "svl_", "svv_", "sys_", "svcs_", "stcs_"};
  for (auto p : kPrefixes) {
    if (n.substr(0, p.size()) == p) return true;
  }
  return false;
}

}  // namespace

std::string resolve_relation_schema(const AnalysisContext& ctx, const std::vector<std::string>& path,
                                    const std::string& name) {
  if (ctx.relation_exists) {
    // pg_catalog is searched first unless search_path places it explicitly.
    const bool catalog_listed = std::find(path.begin(), path.end(), "pg_catalog") != path.end();
    if (!catalog_listed && ctx.relation_exists("pg_catalog", name)) return "pg_catalog";
    for (const auto& s : path) {
      if (ctx.relation_exists(s, name)) return s;
    }
  }
  if (is_system_name(name)) return "pg_catalog";
  // Unknown everywhere (or nothing to ask): the first schema, where the server would
  // create it and where a catalog that lags behind most likely misses it.
  return path.empty() ? std::string() : path.front();
}

TableRef resolve_table_name(const std::vector<std::string>& parts, const AnalysisContext& ctx,
                            const std::vector<std::string>& path) {
  TableRef t;
  if (parts.empty()) return t;
  t.name = parts.back();
  if (!t.name.empty() && t.name[0] == '#') {
    t.schema = "pg_temp";
    t.temporary = true;
  } else if (parts.size() >= 2) {
    t.schema = parts[parts.size() - 2];
    t.written_qualified = true;
  } else {
    t.schema = resolve_relation_schema(ctx, path, t.name);
  }
  return t;
}

std::string NameResolver::resolve_schema(const std::string& name) const {
  return resolve_relation_schema(ctx_, *in_.search_path, name);
}

bool NameResolver::is_temp_location(int location) const {
  if (in_.temp_positions == nullptr || location < 0) return false;
  const int abs = location + in_.location_offset;
  return std::binary_search(in_.temp_positions->begin(), in_.temp_positions->end(), abs);
}

// The pivot a table name at `location` is the source of, if any.
const PivotMark* NameResolver::pivot_of_table(int location) const {
  if (in_.pivots == nullptr || location < 0) return nullptr;
  const int abs = location + in_.location_offset;
  for (const auto& m : *in_.pivots) {
    if (std::find(m.tables.begin(), m.tables.end(), abs) != m.tables.end()) return &m;
  }
  return nullptr;
}

// The pivot a subquery is the source of, if any: the innermost range holding it (a
// subquery nested in a pivoted one is inside the range too, and is treated the same:
// some names of its outputs restrict nothing, which errs towards refusing).
const PivotMark* NameResolver::pivot_of_subquery(const ProtobufCMessage* subquery) const {
  if (in_.pivots == nullptr || in_.pivots->empty()) return nullptr;
  const int at = first_location(subquery);
  if (at < 0) return nullptr;
  const int abs = at + in_.location_offset;
  for (const auto& m : *in_.pivots) {
    for (const auto& [from, to] : m.subqueries) {
      if (abs >= from && abs < to) return &m;
    }
  }
  return nullptr;
}

// Whether `column` of entry e may be a column a pivot produced rather than its source's.
bool NameResolver::pivot_hides(const Entry& e, const std::string& column) {
  if (e.pivot == nullptr) return false;
  return std::any_of(e.pivot->names.begin(), e.pivot->names.end(),
                     [&](const std::string& n) { return !n.empty() && column.find(n) != std::string::npos; });
}

TableRef NameResolver::table_ref(const PgQuery__RangeVar* rv) const {
  TableRef t;
  if (rv->location >= 0) {
    t.location = rv->location + in_.location_offset;
    t.length = written_name_length(in_.text, rv->location);
  }
  t.name = fold(sv(rv->relname));
  std::string schema = fold(sv(rv->schemaname));
  // PostgreSQL's scanner cut names to 63 bytes; Redshift allows 127: read them again.
  if (t.name.size() >= 63 || schema.size() >= 63) {
    const auto parts = written_name_at(in_.text, rv->location, ctx_.case_sensitive_identifiers);
    const size_t expected = 1 + (has(rv->schemaname) ? 1 : 0) + (has(rv->catalogname) ? 1 : 0);
    if (parts.size() == expected) {
      t.name = parts.back();
      if (has(rv->schemaname)) schema = parts[parts.size() - 2];
    }
  }
  if (rv->alias != nullptr) t.alias = fold(sv(rv->alias->aliasname));
  if (is_temp_location(rv->location) && !t.name.empty()) {
    t.name[0] = '#';  // the dialect pass wrote `_name` for `#name`
    t.temporary = true;
  } else if (!t.name.empty() && t.name[0] == '#') {
    t.temporary = true;
  }
  if (t.temporary) {
    t.schema = "pg_temp";
    return t;
  }
  if (has(rv->schemaname)) {
    t.schema = schema;
    t.written_qualified = true;
  } else if (rv->relpersistence != nullptr && *rv->relpersistence == 't') {
    t.schema = "pg_temp";  // CREATE TEMP TABLE x / SELECT INTO TEMP x
    t.temporary = true;
  } else {
    t.schema = resolve_schema(t.name);
  }
  return t;
}

TableRef NameResolver::name_list_ref(Node* const* items, size_t n) const {
  TableRef t;
  if (n == 0) return t;
  t.name = fold(str_node(items[n - 1]));
  if (n == 1 && in_.temp_names != nullptr &&
      std::find(in_.temp_names->begin(), in_.temp_names->end(), t.name) != in_.temp_names->end()) {
    t.name[0] = '#';
  }
  if (!t.name.empty() && t.name[0] == '#') {
    t.temporary = true;
    t.schema = "pg_temp";
    return t;
  }
  if (n >= 2) {
    t.schema = fold(str_node(items[n - 2]));
    t.written_qualified = true;
  } else {
    t.schema = resolve_schema(t.name);
  }
  return t;
}

void NameResolver::add_write(const PgQuery__RangeVar* rv) {
  if (rv != nullptr) out_->writes.push_back(table_ref(rv));
}

int NameResolver::add_scan(TableRef t) {
  Scan s;
  s.table = std::move(t);
  out_->scans.push_back(std::move(s));
  return static_cast<int>(out_->scans.size()) - 1;
}

void NameResolver::read_column(int scan, const std::string& column) {
  if (scan < 0 || column.empty()) return;
  auto& seen = columns_seen_[{scan, column}];
  if (seen) return;
  seen = true;
  out_->scans[static_cast<size_t>(scan)].columns_read.push_back(column);
}

int NameResolver::cte_references(const std::string& name) {
  if (!cte_counts_) {
    cte_counts_.emplace();
    count_range_vars(reinterpret_cast<const ProtobufCMessage*>(root_));
  }
  auto it = cte_counts_->find(name);
  return it == cte_counts_->end() ? 0 : it->second;
}

void NameResolver::count_range_vars(const ProtobufCMessage* m) {
  if (m == nullptr) return;
  if (m->descriptor == &pg_query__range_var__descriptor) {
    const auto* rv = reinterpret_cast<const PgQuery__RangeVar*>(m);
    if (!has(rv->schemaname)) ++(*cte_counts_)[fold(sv(rv->relname))];
    return;
  }
  pg::for_each_child(m, [&](const ProtobufCMessage* c) { count_range_vars(c); });
}

const CteDef* NameResolver::find_cte(const std::string& name) const {
  for (auto f = cte_frames_.rbegin(); f != cte_frames_.rend(); ++f) {
    for (const auto& d : *f) {
      if (d.name == name) return &d;
    }
  }
  return nullptr;
}

std::optional<std::vector<std::string>> NameResolver::table_columns(const Entry& e) const {
  if (!ctx_.columns_of || e.kind != Entry::Kind::Table || e.scan < 0) return std::nullopt;
  const TableRef& t = out_->scans[static_cast<size_t>(e.scan)].table;
  if (t.temporary) return std::nullopt;
  return ctx_.columns_of(t.schema, t.name);
}

Own NameResolver::block_owns(const Block& b, const std::string& column) const {
  if (b.setop) {
    if (b.branches.empty() || !b.branches[0]) return Own::Maybe;
    return block_owns(*b.branches[0], column);
  }
  Own result = Own::No;
  for (const auto& o : b.outputs) {
    if (o.star) {
      for (const Entry* e : o.star_entries) {
        const Own own = owns(*e, column);
        if (own == Own::Yes) return Own::Yes;
        if (own == Own::Maybe) result = Own::Maybe;
      }
    } else if (o.name == column) {
      return Own::Yes;
    }
  }
  return result;
}

Own NameResolver::owns(const Entry& e, const std::string& column) const {
  // A pivot's own output column: this entry's, but no column of its source.
  if (pivot_hides(e, column)) return Own::Yes;
  switch (e.kind) {
    case Entry::Kind::Table: {
      if (std::find(e.alias_columns.begin(), e.alias_columns.end(), column) != e.alias_columns.end()) return Own::Yes;
      auto cols = table_columns(e);
      if (!cols) return Own::Maybe;
      // Columns renamed by an alias list are no longer visible by their own names.
      for (size_t i = e.alias_columns.size(); i < cols->size(); ++i) {
        if ((*cols)[i] == column) return Own::Yes;
      }
      return Own::No;
    }
    case Entry::Kind::Block:
      if (!e.alias_columns.empty()) {
        if (std::find(e.alias_columns.begin(), e.alias_columns.end(), column) != e.alias_columns.end()) return Own::Yes;
      }
      return e.block ? block_owns(*e.block, column) : Own::Maybe;
    case Entry::Kind::Function:
      if (!e.alias_columns.empty()) {
        return std::find(e.alias_columns.begin(), e.alias_columns.end(), column) != e.alias_columns.end() ? Own::Yes
                                                                                                            : Own::Maybe;
      }
      return Own::Maybe;
    default:
      return Own::Maybe;
  }
}

// Targets of output `column` of a block (through nested pushdown-safe blocks).
std::vector<Target> NameResolver::block_lookup(const Block& b, const std::string& column) const {
  if (!b.safe) return {};
  if (b.setop) {
    if (b.branches.empty() || !b.branches[0]) return {};
    const auto pos = block_position(*b.branches[0], column);
    if (!pos) return {};
    return block_at(b, *pos);
  }
  std::vector<Target> found;
  int explicit_matches = 0;
  for (const auto& o : b.outputs) {
    if (!o.star && o.name == column) {
      ++explicit_matches;
      found = o.targets;
    }
  }
  if (explicit_matches > 1) return {};
  if (explicit_matches == 0) {
    for (const auto& o : b.outputs) {
      if (!o.star) continue;
      std::vector<const Entry*> cands;
      for (const Entry* e : o.star_entries) {
        if (owns(*e, column) != Own::No) cands.push_back(e);
      }
      if (cands.size() == 1) {
        found = entry_targets(*cands[0], column);
        break;
      }
      if (cands.size() > 1) return {};
    }
  }
  for (auto& t : found) {
    auto it = b.nullable.find(t.entry);
    if (it != b.nullable.end() && it->second) t.nullable = true;
  }
  return found;
}

// Position of an output name in a plain block; nullopt when a star precedes it.
std::optional<size_t> NameResolver::block_position(const Block& b, const std::string& column) const {
  if (b.setop) return b.branches.empty() || !b.branches[0] ? std::nullopt : block_position(*b.branches[0], column);
  for (size_t i = 0; i < b.outputs.size(); ++i) {
    if (b.outputs[i].star) return std::nullopt;
    if (b.outputs[i].name == column) return i;
  }
  return std::nullopt;
}

std::vector<Target> NameResolver::block_at(const Block& b, size_t pos) const {
  if (!b.safe) return {};
  if (b.setop) {
    std::vector<Target> all;
    for (const auto& br : b.branches) {
      if (!br) continue;
      auto ts = block_at(*br, pos);
      all.insert(all.end(), ts.begin(), ts.end());
    }
    return all;
  }
  for (size_t i = 0; i < b.outputs.size() && i <= pos; ++i) {
    if (b.outputs[i].star) return {};
  }
  if (pos >= b.outputs.size()) return {};
  auto found = b.outputs[pos].targets;
  for (auto& t : found) {
    auto it = b.nullable.find(t.entry);
    if (it != b.nullable.end() && it->second) t.nullable = true;
  }
  return found;
}

// Targets for `column` of entry e (e is in the current scope; targets keep e as entry).
std::vector<Target> NameResolver::entry_targets(const Entry& e, const std::string& column) const {
  std::vector<Target> out;
  if (pivot_hides(e, column)) return out;
  switch (e.kind) {
    case Entry::Kind::Table: {
      std::string real = column;
      auto pos = std::find(e.alias_columns.begin(), e.alias_columns.end(), column);
      if (pos != e.alias_columns.end()) {
        auto cols = table_columns(e);
        const auto i = static_cast<size_t>(pos - e.alias_columns.begin());
        if (!cols || i >= cols->size()) return out;
        real = (*cols)[i];
      }
      out.push_back(Target{&e, e.scan, real, false});
      return out;
    }
    case Entry::Kind::Block: {
      if (!e.pushdown || !e.block) return out;
      std::vector<Target> inner;
      auto pos = std::find(e.alias_columns.begin(), e.alias_columns.end(), column);
      if (pos != e.alias_columns.end()) {
        inner = block_at(*e.block, static_cast<size_t>(pos - e.alias_columns.begin()));
      } else {
        inner = block_lookup(*e.block, column);
      }
      for (auto& t : inner) out.push_back(Target{&e, t.scan, t.column, t.nullable});
      return out;
    }
    default:
      return out;
  }
}

void NameResolver::note_read(const Entry& e, const std::string& column) {
  if (e.kind == Entry::Kind::Table && !pivot_hides(e, column)) {
    std::string real = column;
    auto pos = std::find(e.alias_columns.begin(), e.alias_columns.end(), column);
    if (pos != e.alias_columns.end()) {
      auto cols = table_columns(e);
      const auto i = static_cast<size_t>(pos - e.alias_columns.begin());
      if (!cols || i >= cols->size()) return;
      real = (*cols)[i];
    }
    read_column(e.scan, real);
  }
}

Resolution NameResolver::resolve_unqualified(const Scope* scope, const std::string& column, bool record) {
  Resolution r;
  int level = 0;
  for (const Scope* s = scope; s != nullptr; s = s->parent, ++level) {
    // JOIN ... USING (c): the merged column.
    for (auto it = s->usings.rbegin(); it != s->usings.rend(); ++it) {
      if (std::find(it->columns.begin(), it->columns.end(), column) == it->columns.end()) continue;
      r.level = level;
      auto side = [&](const std::vector<const Entry*>& entries) {
        std::vector<const Entry*> cands;
        for (const Entry* e : entries) {
          if (owns(*e, column) != Own::No) cands.push_back(e);
        }
        if (record) {
          for (const Entry* e : cands) note_read(*e, column);
        }
        if (cands.size() == 1) {
          auto ts = entry_targets(*cands[0], column);
          r.targets.insert(r.targets.end(), ts.begin(), ts.end());
        }
      };
      switch (it->type) {
        case PG_QUERY__JOIN_TYPE__JOIN_INNER: side(it->left); side(it->right); break;
        case PG_QUERY__JOIN_TYPE__JOIN_LEFT: side(it->left); break;
        case PG_QUERY__JOIN_TYPE__JOIN_RIGHT: side(it->right); break;
        default: break;  // FULL: COALESCE(left, right) restricts neither side
      }
      return r;
    }
    std::vector<const Entry*> cands;
    for (const Entry* e : s->entries) {
      if (owns(*e, column) != Own::No) cands.push_back(e);
    }
    if (cands.empty()) continue;
    r.level = level;
    if (record) {
      for (const Entry* e : cands) note_read(*e, column);
    }
    if (cands.size() == 1) r.targets = entry_targets(*cands[0], column);
    return r;
  }
  return r;
}

// Entries of scope s named `ref` (alias, or table name when not aliased).
std::vector<const Entry*> NameResolver::named(const Scope* s, const std::string& ref) {
  std::vector<const Entry*> out;
  for (const Entry* e : s->entries) {
    if (e->refname == ref) out.push_back(e);
  }
  return out;
}

Resolution NameResolver::resolve_in(const Entry* e, int level, const std::string& column, bool plain, bool record) {
  Resolution r;
  r.level = level;
  r.plain = plain;
  if (record) note_read(*e, column);
  if (plain) r.targets = entry_targets(*e, column);
  return r;
}

Resolution NameResolver::resolve(const Scope* scope, const PgQuery__ColumnRef* cr, bool record) {
  std::vector<std::string> f;
  for (size_t i = 0; i < cr->n_fields; ++i) {
    if (!IS(cr->fields[i], STRING)) break;
    f.push_back(fold(str_node(cr->fields[i])));
  }
  Resolution none;
  if (f.empty()) return none;
  if (f.size() == 1) return resolve_unqualified(scope, f[0], record);
  // schema.table.column / db.schema.table.column
  if (f.size() >= 3) {
    const std::string& schema = f[f.size() - 3];
    const std::string& table = f[f.size() - 2];
    int level = 0;
    for (const Scope* s = scope; s != nullptr; s = s->parent, ++level) {
      for (const Entry* e : s->entries) {
        if (e->kind == Entry::Kind::Table && !e->aliased && e->name == table && e->schema == schema) {
          return resolve_in(e, level, f.back(), true, record);
        }
      }
    }
  }
  // alias.column[.path...]
  int level = 0;
  for (const Scope* s = scope; s != nullptr; s = s->parent, ++level) {
    auto es = named(s, f[0]);
    if (es.empty()) continue;
    if (es.size() > 1) {
      none.level = level;
      return none;  // ambiguous: the server rejects it
    }
    return resolve_in(es[0], level, f[1], f.size() == 2, record);
  }
  // column.path: a SUPER path on an unqualified column.
  Resolution r = resolve_unqualified(scope, f[0], record);
  r.plain = false;
  r.targets.clear();
  return r;
}

void NameResolver::star(const Scope* scope, const PgQuery__ColumnRef* cr) {
  auto mark = [&](const Entry* e) {
    if (e->kind == Entry::Kind::Table && e->scan >= 0) out_->scans[static_cast<size_t>(e->scan)].select_star = true;
  };
  if (cr->n_fields <= 1) {
    for (const Entry* e : scope->entries) mark(e);
    return;
  }
  const std::string ref = fold(str_node(cr->fields[cr->n_fields - 2]));
  for (const Scope* s = scope; s != nullptr; s = s->parent) {
    auto es = named(s, ref);
    if (es.empty()) continue;
    for (const Entry* e : es) mark(e);
    return;
  }
}

}  // namespace blueshift::rewrite

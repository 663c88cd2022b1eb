// Shared fixtures for the policies tests: the demo catalog (spectrum_schema.sales with 36
// partitions, 2022-2024 x 12 months), small builders for hand-made facts, and sessions.
#pragma once

#include <string>
#include <vector>

#include "policies/catalog.h"
#include "policies/evaluate.h"
#include "policies/policy_set.h"
#include "rewrite/facts.h"
#include "yaml-cpp/yaml.h"

namespace blueshift::policies::testing {

using rewrite::Bound;
using rewrite::QueryFacts;
using rewrite::Scan;
using rewrite::StatementFacts;
using rewrite::StatementKind;
using rewrite::Value;

inline std::string two_digits(int m) { return (m < 10 ? "0" : "") + std::to_string(m); }

// spectrum_schema.sales partitioned by (year, month) with values "2022".."2024" x
// "01".."12"; spectrum_schema.clicks partitioned by (dt) with 10 days; public.sales_fact
// a local table; users analyst (analysts), bi_user (analysts, via a nested role in the
// loader's terms), etl (no group).
inline Catalog demo_catalog() {
  Catalog c;
  c.loaded = true;
  ExternalTable sales;
  sales.schema = "spectrum_schema";
  sales.name = "sales";
  sales.columns = {"sale_id", "customer_id", "amount", "sale_date", "year", "month"};
  sales.partition_columns = {"year", "month"};
  for (int y = 2022; y <= 2024; ++y) {
    for (int m = 1; m <= 12; ++m) sales.partitions.push_back({std::to_string(y), two_digits(m)});
  }
  c.add_external(sales);
  ExternalTable clicks;
  clicks.schema = "spectrum_schema";
  clicks.name = "clicks";
  clicks.columns = {"url", "dt"};
  clicks.partition_columns = {"dt"};
  for (int d = 1; d <= 10; ++d) clicks.partitions.push_back({"2024-01-" + two_digits(d)});
  c.add_external(clicks);
  ExternalTable flat;  // external, not partitioned
  flat.schema = "spectrum_schema";
  flat.name = "countries";
  flat.columns = {"code", "name"};
  c.add_external(flat);
  c.relations["public"] = {"sales_fact", "customers"};
  c.columns["public.sales_fact"] = {"sale_id", "customer_id", "amount", "sale_date"};
  c.columns["public.customers"] = {"customer_id", "name"};
  c.user_groups["analyst"] = {"analysts"};
  c.user_groups["bi_user"] = {"analysts", "bi"};
  c.user_groups["etl"] = {};
  return c;
}

inline PolicySet policy(const std::string& yaml) { return parse_policy_set(YAML::Load(yaml)); }

inline SessionFacts session(std::string user, std::vector<std::string> groups = {}, std::string app = "psql",
                            std::string db = "dev") {
  SessionFacts s;
  s.user = std::move(user);
  s.groups = std::move(groups);
  s.application_name = std::move(app);
  s.database = std::move(db);
  s.client_address = "127.0.0.1";
  return s;
}
inline SessionFacts analyst() { return session("analyst", {"analysts"}); }
inline SessionFacts etl() { return session("etl"); }

inline Value num(const std::string& v) { return Value{Value::Kind::Constant, v, 0, true}; }
inline Value str(const std::string& v) { return Value{Value::Kind::Constant, v, 0, false}; }
inline Value param(int n) { return Value{Value::Kind::Param, "", n, false}; }
inline Value null() { return Value{Value::Kind::Null, "", 0, false}; }

inline Bound atom(Bound::Op op, std::vector<Value> values) {
  Bound b;
  b.op = op;
  b.values = std::move(values);
  return b;
}
inline Bound eq(Value v) { return atom(Bound::Op::Eq, {std::move(v)}); }
inline Bound in(std::vector<Value> v) { return atom(Bound::Op::In, std::move(v)); }
inline Bound ge(Value v) { return atom(Bound::Op::Ge, {std::move(v)}); }
inline Bound gt(Value v) { return atom(Bound::Op::Gt, {std::move(v)}); }
inline Bound le(Value v) { return atom(Bound::Op::Le, {std::move(v)}); }
inline Bound lt(Value v) { return atom(Bound::Op::Lt, {std::move(v)}); }
inline Bound between(Value a, Value b) { return atom(Bound::Op::Between, {std::move(a), std::move(b)}); }
inline Bound op(Bound::Op o, std::vector<Bound> children) {
  Bound b;
  b.op = o;
  b.children = std::move(children);
  return b;
}
inline Bound and_(std::vector<Bound> c) { return op(Bound::Op::And, std::move(c)); }
inline Bound or_(std::vector<Bound> c) { return op(Bound::Op::Or, std::move(c)); }
inline Bound truth() { return Bound{}; }
inline Bound falsity() { return atom(Bound::Op::False, {}); }

inline Scan scan(const std::string& qualified, std::map<std::string, Bound> bounds = {}, bool star = false) {
  Scan s;
  const auto dot = qualified.find('.');
  s.table.schema = qualified.substr(0, dot);
  s.table.name = qualified.substr(dot + 1);
  s.bounds = std::move(bounds);
  s.select_star = star;
  return s;
}

// The scan with one more disjunction (an OR of per-column conjunctions, as analysis keeps
// for `(year = 2024 AND month = 1) OR (year = 2023 AND month = 12)`).
inline Scan with_or(Scan s, rewrite::Disjunction branches) {
  s.disjunctions.push_back(std::move(branches));
  return s;
}

inline StatementFacts select(std::vector<Scan> scans) {
  StatementFacts st;
  st.kind = StatementKind::Select;
  st.scans = std::move(scans);
  return st;
}

inline StatementFacts statement(StatementKind kind, std::vector<std::string> writes, std::vector<Scan> scans = {}) {
  StatementFacts st;
  st.kind = kind;
  for (const auto& w : writes) {
    rewrite::TableRef t;
    const auto dot = w.find('.');
    t.schema = w.substr(0, dot);
    t.name = w.substr(dot + 1);
    st.writes.push_back(t);
  }
  st.scans = std::move(scans);
  return st;
}

// A statement acting on objects other than tables: "schema prod", "function prod.f".
inline StatementFacts on_objects(StatementKind kind, std::vector<std::string> objects) {
  StatementFacts st;
  st.kind = kind;
  for (const auto& o : objects) {
    const auto space = o.find(' ');
    const std::string type = o.substr(0, space);
    const std::string qualified = o.substr(space + 1);
    const auto dot = qualified.find('.');
    if (type == "schema") {
      st.objects.push_back(rewrite::ObjectRef{type, qualified, ""});
    } else {
      st.objects.push_back(rewrite::ObjectRef{type, qualified.substr(0, dot), qualified.substr(dot + 1)});
    }
  }
  return st;
}

inline StatementFacts any_schema(StatementKind kind, std::string why = "DROP OWNED drops the role's objects in every schema") {
  StatementFacts st;
  st.kind = kind;
  st.any_schema = std::move(why);
  return st;
}

// Targets the analysis could not model; names as the scanner saw them, plus search_path.
inline StatementFacts unknown_targets(StatementKind kind, std::vector<std::string> names) {
  StatementFacts st;
  st.kind = kind;
  st.targets_unknown = true;
  st.names = std::move(names);
  return st;
}

// A statement carrying code analysis does not read (a DO block body).
inline StatementFacts opaque(std::vector<std::string> names, std::string dynamic = "") {
  StatementFacts st;
  st.kind = StatementKind::Utility;
  st.opaque = "the body of a DO block";
  st.opaque_dynamic = std::move(dynamic);
  st.names = std::move(names);
  return st;
}

inline StatementFacts unparsed(std::vector<std::string> names, std::string error = "syntax error at or near \"SELEC\"") {
  StatementFacts st;
  st.kind = StatementKind::Unparsed;
  st.names = std::move(names);
  st.error = std::move(error);
  return st;
}

inline QueryFacts facts(std::vector<StatementFacts> statements, std::string fingerprint = "0123abcd") {
  QueryFacts q;
  q.statements = std::move(statements);
  q.fingerprint = std::move(fingerprint);
  for (const auto& st : q.statements) {
    for (const auto& sc : st.scans) {
      for (const auto& [col, b] : sc.bounds) {
        std::vector<const Bound*> stack{&b};
        while (!stack.empty()) {
          const Bound* x = stack.back();
          stack.pop_back();
          for (const auto& v : x->values) {
            if (v.kind == Value::Kind::Param) q.max_param = std::max(q.max_param, v.param);
          }
          for (const auto& ch : x->children) stack.push_back(&ch);
        }
      }
    }
  }
  return q;
}

// The policy block the README shows: analysts must filter sales by partition, at most 12
// partitions, no SELECT *; no DDL/DELETE on public for analysts; etl exempt throughout.
inline const char* kDemoPolicies = R"(
catalog_tables: true
tables:
  - name: spectrum_schema.sales
    partition_columns: [year, month]
rules:
  - name: analysts-must-filter-partitions
    type: require_partition_filter
    tables: ["spectrum_schema.*"]
    scope: {groups: [analysts]}
    exempt: {users: [etl]}
  - name: analysts-max-12-partitions
    type: max_partitions
    max: 12
    tables: [spectrum_schema.sales]
    scope: {groups: [analysts]}
    exempt: {users: [etl]}
  - name: no-select-star-on-lake
    type: deny_select_star
    scope: {groups: [analysts]}
    mode: warn
  - name: analysts-no-ddl-on-public
    type: deny_statements
    kinds: [delete, drop, truncate, alter, create]
    schemas: [public]
    scope: {groups: [analysts]}
    exempt: {users: [etl]}
)";

}  // namespace blueshift::policies::testing

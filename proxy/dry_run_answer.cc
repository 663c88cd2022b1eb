#include "proxy/dry_run_answer.h"

#include <algorithm>
#include <cstdio>

#include "protocol/codec.h"

namespace blueshift::proxy {
namespace {

constexpr int32_t kTextOid = 25;
constexpr int32_t kInt8Oid = 20;
constexpr int32_t kNumericOid = 1700;

std::string encoded(protocol::BackendMessage m) {
  std::string out;
  protocol::encode(m, out);
  return out;
}

// Dollars with six decimals: Spectrum's minimum charge (10 MB) is $0.000048 at $5/TB.
std::string usd_value(double usd) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6f", usd);
  return buf;
}

}  // namespace

std::string dry_run_row_description() {
  static const std::pair<const char*, int32_t> kColumns[] = {
      {"table_name", kTextOid},      {"partitions_matched", kInt8Oid},   {"partitions_total", kInt8Oid},
      {"estimated_bytes", kInt8Oid}, {"estimated_cost_usd", kNumericOid}, {"decision", kTextOid},
  };
  protocol::RowDescription d;
  for (const auto& [name, oid] : kColumns) {
    protocol::FieldDescription f;
    f.name = name;
    f.type_oid = oid;
    f.type_size = oid == kInt8Oid ? 8 : -1;
    f.type_modifier = -1;
    d.fields.push_back(std::move(f));
  }
  return encoded(std::move(d));
}

ProxyAnswer dry_run_answer(const std::vector<policies::DryRunRow>& rows) {
  ProxyAnswer a;
  a.row_description = dry_run_row_description();
  for (const auto& r : rows) {
    protocol::DataRow row;
    for (std::string v : {r.table, std::to_string(r.partitions_matched), std::to_string(r.partitions_total),
                          std::to_string(r.bytes), usd_value(r.usd), r.decision}) {
      row.values.emplace_back(std::move(v));
    }
    a.rows += encoded(std::move(row));
  }
  a.tag = "SELECT " + std::to_string(rows.size());
  return a;
}

std::string dry_run_parameters(const std::vector<int32_t>& declared, int params) {
  protocol::ParameterDescription d;
  const size_t n = std::max(declared.size(), static_cast<size_t>(std::max(params, 0)));
  for (size_t i = 0; i < n; ++i) {
    const int32_t t = i < declared.size() ? declared[i] : 0;
    d.type_oids.push_back(t == 0 ? kTextOid : t);
  }
  return encoded(std::move(d));
}

}  // namespace blueshift::proxy

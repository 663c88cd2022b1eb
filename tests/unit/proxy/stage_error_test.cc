// A staged upsert's error named after its target (proxy/stage_error.h): what PostgreSQL
// sends for the staging table in, what native ON CONFLICT sends for the target out.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/stage_error.h"

namespace blueshift::proxy {
namespace {

using Fields = std::vector<std::pair<char, std::string>>;

const rewrite::Plan::Staging kStaging{"blueshift_upsert_7", "t", ""};

struct Row {
  const char* what;
  rewrite::Plan::Staging staging;
  Fields in;
  Fields out;  // as `in` when nothing changes
};

const std::vector<Row> kRows = {
    {"a CHECK violation of the load",
     kStaging,
     {{'S', "ERROR"}, {'C', "23514"},
      {'M', "new row for relation \"blueshift_upsert_7\" violates check constraint \"t_v_check\""},
      {'D', "Failing row contains (1, -5, 3)."}, {'s', "pg_temp_3"}, {'t', "blueshift_upsert_7"}, {'n', "t_v_check"}},
     {{'S', "ERROR"}, {'C', "23514"}, {'M', "new row for relation \"t\" violates check constraint \"t_v_check\""},
      {'D', "Failing row contains (1, -5)."}, {'t', "t"}, {'n', "t_v_check"}}},
    {"a NOT NULL violation of a qualified target, a value with a comma",
     {"blueshift_upsert_7", "T x", "public"},
     {{'C', "23502"},
      {'M', "null value in column \"v\" of relation \"blueshift_upsert_7\" violates not-null constraint"},
      {'D', "Failing row contains (a, 5, null, 12)."}, {'s', "pg_temp_3"}, {'t', "blueshift_upsert_7"}, {'c', "v"}},
     {{'C', "23502"}, {'M', "null value in column \"v\" of relation \"T x\" violates not-null constraint"},
      {'D', "Failing row contains (a, 5, null)."}, {'s', "public"}, {'t', "T x"}, {'c', "v"}}},
    {"a DETAIL whose last value is not a row number stays",
     kStaging,
     {{'M', "new row for relation \"blueshift_upsert_7\" violates check constraint \"c\""},
      {'D', "Failing row contains (1, x)."}},
     {{'M', "new row for relation \"t\" violates check constraint \"c\""}, {'D', "Failing row contains (1, x)."}}},
    {"nor one of another shape",
     kStaging,
     {{'t', "blueshift_upsert_7"}, {'D', "Failing row contains (1, 07)."}, {'s', "pg_temp_3"}},
     {{'t', "t"}, {'D', "Failing row contains (1, 07)."}}},
    {"an error that names another staging table stays",
     kStaging,
     {{'M', "new row for relation \"blueshift_upsert_70\" violates check constraint \"c\""},
      {'D', "Failing row contains (1, 2)."}, {'t', "blueshift_upsert_70"}},
     {{'M', "new row for relation \"blueshift_upsert_70\" violates check constraint \"c\""},
      {'D', "Failing row contains (1, 2)."}, {'t', "blueshift_upsert_70"}}},
    {"so does the target's own error",
     kStaging,
     {{'M', "new row for relation \"t\" violates check constraint \"c\""}, {'D', "Failing row contains (1, 2)."},
      {'s', "public"}, {'t', "t"}},
     {{'M', "new row for relation \"t\" violates check constraint \"c\""}, {'D', "Failing row contains (1, 2)."},
      {'s', "public"}, {'t', "t"}}},
};

TEST(StageError, NamesTheTargetWhereTheStagingTableWasNamed) {
  for (const Row& row : kRows) {
    protocol::NoticeFields error{row.in};
    EXPECT_EQ(name_target(row.staging, error), row.in != row.out) << row.what;
    EXPECT_EQ(error.fields, row.out) << row.what;
  }
}

}  // namespace
}  // namespace blueshift::proxy

// The plan helpers: client tags, row counts read from tags, and splicing at locations.
#include "rewrite/plan.h"

#include <gtest/gtest.h>

namespace blueshift::rewrite {
namespace {

TEST(Plan, TagCarriesTheRowsCounted) {
  Plan p;
  p.tag = "INSERT 0 {rows}";
  EXPECT_EQ(plan_tag(p, 42), "INSERT 0 42");
  p.tag = "MERGE {rows}";
  EXPECT_EQ(plan_tag(p, 0), "MERGE 0");
}

TEST(Plan, RowsOfATag) {
  EXPECT_EQ(tag_rows("INSERT 0 5"), 5u);
  EXPECT_EQ(tag_rows("DELETE 3"), 3u);
  EXPECT_EQ(tag_rows("UPDATE 12345678901"), 12345678901u);
  EXPECT_EQ(tag_rows("CREATE TABLE"), 0u);
  EXPECT_EQ(tag_rows("BEGIN"), 0u);
}

TEST(Plan, SpliceReplacesAtLocationsInAnyOrder) {
  const std::string sql = "select * from public.sales_fact f join public.customers c using (id)";
  EXPECT_EQ(splice(sql, {{14, 17, "spectrum_schema.sales"}, {39, 16, "x.y"}}),
            "select * from spectrum_schema.sales f join x.y c using (id)");
  EXPECT_EQ(splice(sql, {}), sql);
  // Overlapping edits are not applied twice.
  EXPECT_EQ(splice("abcdef", {{1, 3, "X"}, {2, 1, "Y"}}), "aXef");
}

}  // namespace
}  // namespace blueshift::rewrite

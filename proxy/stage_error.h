// A staged upsert's error as native ON CONFLICT sends it (issue 12). On PostgreSQL the
// staging table carries the target's CHECK and NOT NULL constraints, so a bad row fails
// where it loads, named after the staging table, its DETAIL's failing row ending with the
// row number the staging table adds. Natively the error names the target and shows only
// its columns.
#pragma once

#include "protocol/messages.h"
#include "rewrite/plan.h"

namespace blueshift::proxy {

// `error` (an ErrorResponse's fields) with the staging table's name, in the message and
// the table field, the target's; the schema field the target's as written (removed when
// unqualified: the staging table's temporary schema is surely not the target's); the row
// number dropped from a DETAIL "Failing row contains (..., n)." of that table. Anything
// else stays as it is. Returns whether it changed anything.
bool name_target(const rewrite::Plan::Staging& staging, protocol::NoticeFields& error);

}  // namespace blueshift::proxy

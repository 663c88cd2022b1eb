// Whether a column's bound leaves no value at all: `year > 2024 AND year < 2023`. The
// warehouse's partition pruning sees the same contradiction and reads no partition, so a
// scan so bounded on a partition column is a probe that reads nothing.
#pragma once

#include "rewrite/facts.h"

namespace blueshift::rewrite {

// True when no value can satisfy the bound, proved by its numeric constants alone: False,
// an Or of such, an empty IN list, or an And whose limits and equalities on numbers leave
// none (`year > 2024 AND year < 2023`, `year = 2023 AND year = 2024`, `year IN (2020,
// 2021) AND year >= 2023`). Strings order by a collation not known here and $n are not
// known yet: they never prove it, so false means "may match something".
[[nodiscard]] bool is_empty(const Bound& bound);

}  // namespace blueshift::rewrite

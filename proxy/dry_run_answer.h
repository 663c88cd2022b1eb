// The client's side of a dry run (SET blueshift.dry_run = on): the rows of
// policies::DryRun encoded as the reply to a query, and what Describe says of a dry-run
// statement. Asio-free, like the rest of the Conversation's pieces.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policies/dry_run.h"
#include "proxy/proxy_settings.h"

namespace blueshift::proxy {

// table_name text, partitions_matched int8, partitions_total int8, estimated_bytes int8,
// estimated_cost_usd numeric, decision text (every value in text format).
[[nodiscard]] std::string dry_run_row_description();

// RowDescription, one DataRow per row, and "SELECT n".
[[nodiscard]] ProxyAnswer dry_run_answer(const std::vector<policies::DryRunRow>& rows);

// A dry-run statement's ParameterDescription: the types its Parse declared, at least
// `params` of them; an unspecified type is reported as text.
[[nodiscard]] std::string dry_run_parameters(const std::vector<int32_t>& declared, int params);

}  // namespace blueshift::proxy

// The router of the Conversation tests that route tiers: public.sales_fact holds every row
// from 2024-10-01 on; the lake, spectrum_schema.sales by year and month, all of them.
#pragma once

#include <memory>

#include "proxy/conversation.h"
#include "proxy/routing_settings.h"

namespace blueshift::proxy::testing {

inline Router tier_router() {
  auto settings = std::make_shared<RoutingSettings>(parse_routing_settings(YAML::Load(R"(
external_tables:
  spectrum_schema.sales: {date_column: sale_date, partitions: {year: year, month: month}}
tiers:
  - {local: public.sales_fact, external: spectrum_schema.sales, date_column: sale_date,
     columns: [sale_id, sale_date], local_from: {date: 2024-10-01}}
)")));
  return make_router(std::move(settings));
}

}  // namespace blueshift::proxy::testing

#include "proxy/session_options.h"

#include "proxy/upsert_settings.h"

namespace blueshift::proxy {

std::shared_ptr<const Conversation::Options> make_conversation_options(const ServerContext& context,
                                                                       const Config& config) {
  return std::make_shared<const Conversation::Options>(Conversation::Options{
      context.governor.get(), upsert_planner(config.upserts, context.upsert_keys), context.router,
      copy_upsert_planner(config.upserts), context.budgets.get(), config.offload_analysis_bytes,
      context.routing ? context.routing->on() : nullptr, upsert_plan_gate(config.upserts),
      context.routing ? context.routing->route_gate() : RouteGate{}});
}

}  // namespace blueshift::proxy

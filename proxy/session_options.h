// The Conversation options every session shares: made once per configuration (at start and
// at each reload), not once per session.
#pragma once

#include <memory>

#include "proxy/config.h"
#include "proxy/conversation.h"
#include "proxy/server_context.h"

namespace blueshift::proxy {

[[nodiscard]] std::shared_ptr<const Conversation::Options> make_conversation_options(const ServerContext& context,
                                                                                     const Config& config);

// Those in force now. Not owned: context.conversation_options keeps every version it was given.
// A context given none (a test's) gets empty options: nothing governed, planned or routed.
[[nodiscard]] inline std::shared_ptr<const Conversation::Options> current_conversation_options(
    const ServerContext& context) {
  static const Conversation::Options none;
  const Conversation::Options* current = context.conversation_options.get();
  return {std::shared_ptr<const Conversation::Options>(), current != nullptr ? current : &none};
}

}  // namespace blueshift::proxy

// Member functions of the message structs in messages.h.
#include "protocol/messages.h"

#include <algorithm>

namespace blueshift::protocol {

const std::string* StartupMessage::find(std::string_view name) const {
  for (const auto& [n, v] : parameters) {
    if (n == name) return &v;
  }
  return nullptr;
}

void StartupMessage::erase(std::string_view name) {
  std::erase_if(parameters, [&](const auto& p) { return p.first == name; });
}

const std::string* NoticeFields::find(char code) const {
  for (const auto& [c, v] : fields) {
    if (c == code) return &v;
  }
  return nullptr;
}

}  // namespace blueshift::protocol

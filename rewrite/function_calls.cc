#include "rewrite/function_calls.h"

#include <algorithm>

#include "rewrite/identifiers.h"

namespace blueshift::rewrite {
namespace {

void collect(const ProtobufCMessage* m, std::vector<std::string>* out) {
  if (pg::is_node(m)) {
    const auto* n = reinterpret_cast<const PgQuery__Node*>(m);
    if (IS(n, FUNC_CALL)) out->push_back(ascii_lower(pg::last_name(n->func_call->funcname, n->func_call->n_funcname)));
  }
  pg::for_each_child(m, [&](const ProtobufCMessage* c) { collect(c, out); });
}

}  // namespace

std::vector<std::string> called_functions(const PgQuery__Node* stmt) {
  std::vector<std::string> out;
  if (stmt != nullptr) collect(&stmt->base, &out);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace blueshift::rewrite

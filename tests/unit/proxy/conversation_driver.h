// Drives a Conversation with typed messages and describes what each side gets, one token a
// message: "Q(select 1)", "P(s1:select $1)", "B(p:s1:2)", "T", "C(SHOW)", "Z(I)", "E(42501)".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/codec.h"
#include "proxy/conversation.h"

namespace blueshift::proxy::testing {

inline std::string describe_frontend(const protocol::FrontendMessage& m) {
  using namespace protocol;
  if (auto* q = std::get_if<Query>(&m)) return "Q(" + q->sql + ")";
  if (auto* p = std::get_if<Parse>(&m)) return "P(" + p->statement + ":" + p->query + ")";
  if (auto* b = std::get_if<Bind>(&m)) return "B(" + b->portal + ":" + b->statement + ":" + std::to_string(b->params.size()) + ")";
  if (auto* d = std::get_if<Describe>(&m)) return std::string("D(") + d->kind + d->name + ")";
  if (auto* e = std::get_if<Execute>(&m)) return "E(" + e->portal + ")";
  if (auto* c = std::get_if<Close>(&m)) return std::string("C(") + c->kind + c->name + ")";
  return std::string(1, code_of(m));
}

inline std::string describe_backend(const protocol::BackendMessage& m) {
  using namespace protocol;
  if (auto* c = std::get_if<CommandComplete>(&m)) return "C(" + c->tag + ")";
  if (auto* z = std::get_if<ReadyForQuery>(&m)) return std::string("Z(") + z->status + ")";
  if (auto* e = std::get_if<ErrorResponse>(&m)) return "E(" + (e->find('C') ? *e->find('C') : "") + ")";
  if (auto* n = std::get_if<NoticeResponse>(&m)) return "N(" + (n->find('C') ? *n->find('C') : "") + ")";
  if (auto* d = std::get_if<DataRow>(&m)) {
    std::string s = "D(";
    for (size_t i = 0; i < d->values.size(); ++i) s += (i ? "," : "") + d->values[i].value_or("NULL");
    return s + ")";
  }
  if (auto* t = std::get_if<RowDescription>(&m)) {
    std::string s = "T(";
    for (size_t i = 0; i < t->fields.size(); ++i) s += (i ? "," : "") + t->fields[i].name;
    return s + ")";
  }
  if (auto* t = std::get_if<ParameterDescription>(&m)) return "t(" + std::to_string(t->type_oids.size()) + ")";
  if (auto* a = std::get_if<NotificationResponse>(&m)) return "A(" + std::to_string(a->process_id) + ")";
  return std::string(1, code_of(m));
}

// Every message in `bytes`, described, space-separated.
template <bool Frontend>
std::string describe(std::string_view bytes) {
  std::string out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    protocol::Frame f;
    std::string error;
    const auto span = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()) + pos, bytes.size() - pos);
    if (protocol::decode_frame(span, protocol::kMaxMessageSize, &f, &error) != protocol::DecodeStatus::ReadyForNext)
      return out + " <bad bytes>";
    if constexpr (Frontend) {
      auto m = protocol::decode_frontend(f.code, f.body);
      out += (out.empty() ? "" : " ") + (m.ok() ? describe_frontend(*m) : "<bad>");
    } else {
      auto m = protocol::decode_backend(f.code, f.body);
      out += (out.empty() ? "" : " ") + (m.ok() ? describe_backend(*m) : "<bad>");
    }
    pos += f.size;
  }
  return out;
}

class Driver {
 public:
  explicit Driver(Conversation::Options options = {}) : conversation(std::move(options)) {}

  // What goes upstream for one client message ("WAIT", "ANALYSE" for those verdicts).
  std::string send(const protocol::FrontendMessage& m) {
    std::string raw;
    protocol::encode(m, raw);
    return send_raw(raw);
  }
  // The same for one message given as its bytes, malformed ones included.
  std::string send_raw(const std::string& raw) {
    std::string out;
    switch (conversation.on_client(frame(raw), &out)) {
      case Conversation::Verdict::Forward: return describe<true>(raw);
      case Conversation::Verdict::Replace: return describe<true>(out);
      case Conversation::Verdict::Wait: return "WAIT";
      case Conversation::Verdict::Analyse: return "ANALYSE";
    }
    return "?";
  }
  std::string send(const std::vector<protocol::FrontendMessage>& ms) { return join(ms, [&](auto& m) { return send(m); }); }

  // What the client gets for one server message ("" when swallowed); *bytes: those bytes.
  std::string reply(const protocol::BackendMessage& m, std::string* bytes = nullptr) {
    std::string raw;
    protocol::encode(m, raw);
    std::string out;
    if (conversation.on_server(frame(raw), &out) == Conversation::Verdict::Forward) out = raw;
    if (bytes != nullptr) *bytes = out;
    return describe<false>(out);
  }
  std::string reply(const std::vector<protocol::BackendMessage>& ms) { return join(ms, [&](auto& m) { return reply(m); }); }

  Conversation conversation;

 private:
  static protocol::Frame frame(const std::string& raw) {
    protocol::Frame f;
    std::string error;
    (void)protocol::decode_frame({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}, protocol::kMaxMessageSize, &f,
                                 &error);
    return f;
  }
  template <typename M, typename F>
  static std::string join(const std::vector<M>& ms, F&& f) {
    std::string out;
    for (const auto& m : ms) {
      const std::string s = f(m);
      if (!s.empty()) out += (out.empty() ? "" : " ") + s;
    }
    return out;
  }
};

}  // namespace blueshift::proxy::testing

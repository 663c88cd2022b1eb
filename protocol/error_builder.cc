// Builds the proxy's own ErrorResponse/NoticeResponse; see error_builder.h.
#include "protocol/error_builder.h"

#include "protocol/codec.h"

namespace blueshift::protocol {
namespace {

// Field order as PostgreSQL sends them: S, V, C, M, then D and H when present. 'V' (the
// non-localized severity) lets clients that read it, such as libpq >= 9.6, classify the
// message without parsing a translated 'S'.
void fill(NoticeFields& out, const ProxyError& e) {
  out.fields.reserve(6);
  out.fields.emplace_back('S', e.severity);
  out.fields.emplace_back('V', e.severity);
  out.fields.emplace_back('C', e.sqlstate);
  out.fields.emplace_back('M', e.message);
  if (!e.detail.empty()) out.fields.emplace_back('D', e.detail);
  if (!e.hint.empty()) out.fields.emplace_back('H', e.hint);
}

}  // namespace

ErrorResponse make_error(const ProxyError& e) {
  ErrorResponse r;
  fill(r, e);
  return r;
}

NoticeResponse make_notice(const ProxyError& e) {
  NoticeResponse r;
  fill(r, e);
  return r;
}

std::string encode_error(const ProxyError& e) {
  std::string out;
  encode(BackendMessage(make_error(e)), out);
  return out;
}

}  // namespace blueshift::protocol

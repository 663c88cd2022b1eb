// Bodies of frontend (client -> server) messages: one read and one write per type, in
// the same field order, plus the name used in error texts. Dispatch by code lives in
// variant_codec.h. Decoding is as strict as PostgreSQL's own (pq_getmsgend: no bytes
// may be left over), which also makes re-encoding a decoded message byte-exact.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "protocol/codec.h"
#include "protocol/cursor.h"
#include "protocol/variant_codec.h"
#include "protocol/writer.h"

namespace blueshift::protocol {
namespace {

struct NoOptions {};

bool read_formats(Cursor& c, std::vector<int16_t>& formats, std::string_view what) {
  size_t n = 0;
  if (!c.count16(n, 2, what)) return false;
  formats.resize(n);
  for (auto& f : formats) {
    if (!c.i16(f)) return false;
  }
  return true;
}

bool read_values(Cursor& c, std::vector<std::optional<std::string>>& values, std::string_view what) {
  size_t n = 0;
  if (!c.count16(n, 4, what)) return false;
  values.resize(n);
  for (auto& v : values) {
    if (!c.nullable_bytes(v)) return false;
  }
  return true;
}

void write_formats(MessageWriter& w, const std::vector<int16_t>& formats) {
  w.count16(formats.size());
  for (int16_t f : formats) w.i16(f);
}

void write_values(MessageWriter& w, const std::vector<std::optional<std::string>>& values) {
  w.count16(values.size());
  for (const auto& v : values) w.nullable_bytes(v);
}

bool read_kind(Cursor& c, char& kind) {
  if (!c.byte(kind)) return false;
  if (kind != 'S' && kind != 'P') return c.fail("kind must be 'S' or 'P'");
  return true;
}

struct FrontendBodies {
  using O = NoOptions;

  static constexpr std::string_view name(const Query*) { return "Query message"; }
  static bool read(Cursor& c, Query& m, const O&) { return c.cstring(m.sql); }
  static void write(MessageWriter& w, const Query& m, const O&) { w.cstring(m.sql); }

  static constexpr std::string_view name(const Parse*) { return "Parse message"; }
  static bool read(Cursor& c, Parse& m, const O&) {
    size_t n = 0;
    if (!c.cstring(m.statement) || !c.cstring(m.query) || !c.count16(n, 4, "parameter types")) {
      return false;
    }
    m.param_types.resize(n);
    for (auto& t : m.param_types) {
      if (!c.i32(t)) return false;
    }
    return true;
  }
  static void write(MessageWriter& w, const Parse& m, const O&) {
    w.cstring(m.statement);
    w.cstring(m.query);
    w.count16(m.param_types.size());
    for (int32_t t : m.param_types) w.i32(t);
  }

  static constexpr std::string_view name(const Bind*) { return "Bind message"; }
  static bool read(Cursor& c, Bind& m, const O&) {
    return c.cstring(m.portal) && c.cstring(m.statement) &&
           read_formats(c, m.param_formats, "parameter formats") &&
           read_values(c, m.params, "parameter values") &&
           read_formats(c, m.result_formats, "result formats");
  }
  static void write(MessageWriter& w, const Bind& m, const O&) {
    w.cstring(m.portal);
    w.cstring(m.statement);
    write_formats(w, m.param_formats);
    write_values(w, m.params);
    write_formats(w, m.result_formats);
  }

  static constexpr std::string_view name(const Describe*) { return "Describe message"; }
  static bool read(Cursor& c, Describe& m, const O&) { return read_kind(c, m.kind) && c.cstring(m.name); }
  static void write(MessageWriter& w, const Describe& m, const O&) {
    w.byte(m.kind);
    w.cstring(m.name);
  }

  static constexpr std::string_view name(const Execute*) { return "Execute message"; }
  static bool read(Cursor& c, Execute& m, const O&) { return c.cstring(m.portal) && c.i32(m.max_rows); }
  static void write(MessageWriter& w, const Execute& m, const O&) {
    w.cstring(m.portal);
    w.i32(m.max_rows);
  }

  static constexpr std::string_view name(const Close*) { return "Close message"; }
  static bool read(Cursor& c, Close& m, const O&) { return read_kind(c, m.kind) && c.cstring(m.name); }
  static void write(MessageWriter& w, const Close& m, const O&) {
    w.byte(m.kind);
    w.cstring(m.name);
  }

  static constexpr std::string_view name(const Sync*) { return "Sync message"; }
  static bool read(Cursor&, Sync&, const O&) { return true; }
  static void write(MessageWriter&, const Sync&, const O&) {}

  static constexpr std::string_view name(const Flush*) { return "Flush message"; }
  static bool read(Cursor&, Flush&, const O&) { return true; }
  static void write(MessageWriter&, const Flush&, const O&) {}

  static constexpr std::string_view name(const Terminate*) { return "Terminate message"; }
  static bool read(Cursor&, Terminate&, const O&) { return true; }
  static void write(MessageWriter&, const Terminate&, const O&) {}

  static constexpr std::string_view name(const CopyDataF*) { return "CopyData message"; }
  static bool read(Cursor& c, CopyDataF& m, const O&) {
    m.data.assign(c.rest());
    return true;
  }
  static void write(MessageWriter& w, const CopyDataF& m, const O&) { w.bytes(m.data); }

  static constexpr std::string_view name(const CopyDoneF*) { return "CopyDone message"; }
  static bool read(Cursor&, CopyDoneF&, const O&) { return true; }
  static void write(MessageWriter&, const CopyDoneF&, const O&) {}

  static constexpr std::string_view name(const CopyFail*) { return "CopyFail message"; }
  static bool read(Cursor& c, CopyFail& m, const O&) { return c.cstring(m.message); }
  static void write(MessageWriter& w, const CopyFail& m, const O&) { w.cstring(m.message); }

  static constexpr std::string_view name(const FunctionCall*) { return "FunctionCall message"; }
  static bool read(Cursor& c, FunctionCall& m, const O&) {
    return c.i32(m.function_oid) && read_formats(c, m.arg_formats, "argument formats") &&
           read_values(c, m.args, "arguments") && c.i16(m.result_format);
  }
  static void write(MessageWriter& w, const FunctionCall& m, const O&) {
    w.i32(m.function_oid);
    write_formats(w, m.arg_formats);
    write_values(w, m.args);
    w.i16(m.result_format);
  }

  static constexpr std::string_view name(const AuthResponse*) { return "authentication response"; }
  static bool read(Cursor& c, AuthResponse& m, const O&) {
    m.payload.assign(c.rest());
    return true;
  }
  static void write(MessageWriter& w, const AuthResponse& m, const O&) { w.bytes(m.payload); }
};

}  // namespace

absl::StatusOr<FrontendMessage> decode_frontend(char code, std::span<const uint8_t> body) {
  return internal::decode_by_code<FrontendMessage, FrontendBodies, UnknownFrontend>(code, body, NoOptions{});
}

void encode(const FrontendMessage& message, std::string& out) {
  internal::encode_variant<FrontendBodies>(message, out, NoOptions{});
}

char code_of(const FrontendMessage& message) { return internal::code_of_variant(message); }

}  // namespace blueshift::protocol

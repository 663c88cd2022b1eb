// Bodies of backend (server -> client) messages: one read and one write per type, in
// the same field order, plus the name used in error texts. Dispatch by code lives in
// variant_codec.h. Decoding is strict (no bytes left over), so re-encoding a decoded
// message with the same BackendOptions gives the same bytes.
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

// Standard RowDescription field: name NUL + Int32 + Int16 + Int32 + Int16 + Int32 + Int16.
constexpr size_t kMinFieldSize = 1 + 18;
// Redshift adds four NUL-terminated strings and an Int16.
constexpr size_t kMinRedshiftFieldExtra = 4 + 2;

bool read_notice_fields(Cursor& c, NoticeFields& m) {
  for (;;) {
    char code = 0;
    if (!c.byte(code)) return false;
    if (code == '\0') return true;
    std::string value;
    if (!c.cstring(value)) return false;
    m.fields.emplace_back(code, std::move(value));
  }
}

void write_notice_fields(MessageWriter& w, const NoticeFields& m) {
  for (const auto& [code, value] : m.fields) {
    w.byte(code);
    w.cstring(value);
  }
  w.byte('\0');
}

bool read_copy_response(Cursor& c, CopyResponseBody& m) {
  size_t n = 0;
  if (!c.i8(m.format) || !c.count16(n, 2, "column formats")) return false;
  m.column_formats.resize(n);
  for (auto& f : m.column_formats) {
    if (!c.i16(f)) return false;
  }
  return true;
}

void write_copy_response(MessageWriter& w, const CopyResponseBody& m) {
  w.i8(m.format);
  w.count16(m.column_formats.size());
  for (int16_t f : m.column_formats) w.i16(f);
}

struct BackendBodies {
  using O = BackendOptions;

  static constexpr std::string_view name(const Authentication*) { return "authentication request"; }
  static bool read(Cursor& c, Authentication& m, const O&) {
    if (!c.i32(m.type)) return false;
    m.payload.assign(c.rest());
    return true;
  }
  static void write(MessageWriter& w, const Authentication& m, const O&) {
    w.i32(m.type);
    w.bytes(m.payload);
  }

  static constexpr std::string_view name(const BackendKeyData*) { return "BackendKeyData message"; }
  static bool read(Cursor& c, BackendKeyData& m, const O&) { return c.i32(m.process_id) && c.i32(m.secret_key); }
  static void write(MessageWriter& w, const BackendKeyData& m, const O&) {
    w.i32(m.process_id);
    w.i32(m.secret_key);
  }

  static constexpr std::string_view name(const BindComplete*) { return "BindComplete message"; }
  static bool read(Cursor&, BindComplete&, const O&) { return true; }
  static void write(MessageWriter&, const BindComplete&, const O&) {}

  static constexpr std::string_view name(const CloseComplete*) { return "CloseComplete message"; }
  static bool read(Cursor&, CloseComplete&, const O&) { return true; }
  static void write(MessageWriter&, const CloseComplete&, const O&) {}

  static constexpr std::string_view name(const CommandComplete*) { return "CommandComplete message"; }
  static bool read(Cursor& c, CommandComplete& m, const O&) { return c.cstring(m.tag); }
  static void write(MessageWriter& w, const CommandComplete& m, const O&) { w.cstring(m.tag); }

  static constexpr std::string_view name(const CopyDataB*) { return "CopyData message"; }
  static bool read(Cursor& c, CopyDataB& m, const O&) {
    m.data.assign(c.rest());
    return true;
  }
  static void write(MessageWriter& w, const CopyDataB& m, const O&) { w.bytes(m.data); }

  static constexpr std::string_view name(const CopyDoneB*) { return "CopyDone message"; }
  static bool read(Cursor&, CopyDoneB&, const O&) { return true; }
  static void write(MessageWriter&, const CopyDoneB&, const O&) {}

  static constexpr std::string_view name(const CopyInResponse*) { return "CopyInResponse message"; }
  static bool read(Cursor& c, CopyInResponse& m, const O&) { return read_copy_response(c, m); }
  static void write(MessageWriter& w, const CopyInResponse& m, const O&) { write_copy_response(w, m); }

  static constexpr std::string_view name(const CopyOutResponse*) { return "CopyOutResponse message"; }
  static bool read(Cursor& c, CopyOutResponse& m, const O&) { return read_copy_response(c, m); }
  static void write(MessageWriter& w, const CopyOutResponse& m, const O&) { write_copy_response(w, m); }

  static constexpr std::string_view name(const CopyBothResponse*) { return "CopyBothResponse message"; }
  static bool read(Cursor& c, CopyBothResponse& m, const O&) { return read_copy_response(c, m); }
  static void write(MessageWriter& w, const CopyBothResponse& m, const O&) { write_copy_response(w, m); }

  static constexpr std::string_view name(const DataRow*) { return "DataRow message"; }
  static bool read(Cursor& c, DataRow& m, const O&) {
    size_t n = 0;
    if (!c.count16(n, 4, "columns")) return false;
    m.values.resize(n);
    for (auto& v : m.values) {
      if (!c.nullable_bytes(v)) return false;
    }
    return true;
  }
  static void write(MessageWriter& w, const DataRow& m, const O&) {
    w.count16(m.values.size());
    for (const auto& v : m.values) w.nullable_bytes(v);
  }

  static constexpr std::string_view name(const EmptyQueryResponse*) { return "EmptyQueryResponse message"; }
  static bool read(Cursor&, EmptyQueryResponse&, const O&) { return true; }
  static void write(MessageWriter&, const EmptyQueryResponse&, const O&) {}

  static constexpr std::string_view name(const ErrorResponse*) { return "ErrorResponse message"; }
  static bool read(Cursor& c, ErrorResponse& m, const O&) { return read_notice_fields(c, m); }
  static void write(MessageWriter& w, const ErrorResponse& m, const O&) { write_notice_fields(w, m); }

  static constexpr std::string_view name(const NoticeResponse*) { return "NoticeResponse message"; }
  static bool read(Cursor& c, NoticeResponse& m, const O&) { return read_notice_fields(c, m); }
  static void write(MessageWriter& w, const NoticeResponse& m, const O&) { write_notice_fields(w, m); }

  static constexpr std::string_view name(const FunctionCallResponse*) { return "FunctionCallResponse message"; }
  static bool read(Cursor& c, FunctionCallResponse& m, const O&) { return c.nullable_bytes(m.value); }
  static void write(MessageWriter& w, const FunctionCallResponse& m, const O&) { w.nullable_bytes(m.value); }

  static constexpr std::string_view name(const NegotiateProtocolVersion*) {
    return "NegotiateProtocolVersion message";
  }
  static bool read(Cursor& c, NegotiateProtocolVersion& m, const O&) {
    int32_t n = 0;
    if (!c.i32(m.newest_minor) || !c.i32(n)) return false;
    // Int32 count here, unlike the Int16 counts elsewhere; each option takes >= 1 byte.
    if (n < 0 || static_cast<size_t>(n) > c.remaining()) {
      return c.fail("count of unrecognized options is " + std::to_string(n) + ", but only " +
                    std::to_string(c.remaining()) + " bytes follow");
    }
    m.unrecognized_options.resize(static_cast<size_t>(n));
    for (auto& o : m.unrecognized_options) {
      if (!c.cstring(o)) return false;
    }
    return true;
  }
  static void write(MessageWriter& w, const NegotiateProtocolVersion& m, const O&) {
    w.i32(m.newest_minor);
    w.i32(static_cast<int32_t>(m.unrecognized_options.size()));
    for (const auto& o : m.unrecognized_options) w.cstring(o);
  }

  static constexpr std::string_view name(const NoData*) { return "NoData message"; }
  static bool read(Cursor&, NoData&, const O&) { return true; }
  static void write(MessageWriter&, const NoData&, const O&) {}

  static constexpr std::string_view name(const NotificationResponse*) { return "NotificationResponse message"; }
  static bool read(Cursor& c, NotificationResponse& m, const O&) {
    return c.i32(m.process_id) && c.cstring(m.channel) && c.cstring(m.payload);
  }
  static void write(MessageWriter& w, const NotificationResponse& m, const O&) {
    w.i32(m.process_id);
    w.cstring(m.channel);
    w.cstring(m.payload);
  }

  static constexpr std::string_view name(const ParameterDescription*) { return "ParameterDescription message"; }
  static bool read(Cursor& c, ParameterDescription& m, const O&) {
    size_t n = 0;
    if (!c.count16(n, 4, "parameter types")) return false;
    m.type_oids.resize(n);
    for (auto& t : m.type_oids) {
      if (!c.i32(t)) return false;
    }
    return true;
  }
  static void write(MessageWriter& w, const ParameterDescription& m, const O&) {
    w.count16(m.type_oids.size());
    for (int32_t t : m.type_oids) w.i32(t);
  }

  static constexpr std::string_view name(const ParameterStatus*) { return "ParameterStatus message"; }
  static bool read(Cursor& c, ParameterStatus& m, const O&) { return c.cstring(m.name) && c.cstring(m.value); }
  static void write(MessageWriter& w, const ParameterStatus& m, const O&) {
    w.cstring(m.name);
    w.cstring(m.value);
  }

  static constexpr std::string_view name(const ParseComplete*) { return "ParseComplete message"; }
  static bool read(Cursor&, ParseComplete&, const O&) { return true; }
  static void write(MessageWriter&, const ParseComplete&, const O&) {}

  static constexpr std::string_view name(const PortalSuspended*) { return "PortalSuspended message"; }
  static bool read(Cursor&, PortalSuspended&, const O&) { return true; }
  static void write(MessageWriter&, const PortalSuspended&, const O&) {}

  static constexpr std::string_view name(const ReadyForQuery*) { return "ReadyForQuery message"; }
  static bool read(Cursor& c, ReadyForQuery& m, const O&) {
    if (!c.byte(m.status)) return false;
    if (m.status != 'I' && m.status != 'T' && m.status != 'E') {
      return c.fail("transaction status must be 'I', 'T' or 'E'");
    }
    return true;
  }
  static void write(MessageWriter& w, const ReadyForQuery& m, const O&) { w.byte(m.status); }

  static constexpr std::string_view name(const RowDescription*) { return "RowDescription message"; }
  static bool read(Cursor& c, RowDescription& m, const O& o) {
    size_t n = 0;
    const size_t min_size = kMinFieldSize + (o.redshift_row_metadata ? kMinRedshiftFieldExtra : 0);
    if (!c.count16(n, min_size, "fields")) return false;
    m.fields.resize(n);
    for (auto& f : m.fields) {
      if (!c.cstring(f.name) || !c.i32(f.table_oid) || !c.i16(f.column_attr) || !c.i32(f.type_oid) ||
          !c.i16(f.type_size) || !c.i32(f.type_modifier) || !c.i16(f.format)) {
        return false;
      }
      if (o.redshift_row_metadata) {
        auto& r = f.redshift.emplace();
        if (!c.cstring(r.schema_name) || !c.cstring(r.table_name) || !c.cstring(r.column_name) ||
            !c.cstring(r.catalog_name) || !c.i16(r.flags)) {
          return false;
        }
      }
    }
    return true;
  }
  // The layout follows the options, not the struct: a field without metadata gets empty
  // metadata in the Redshift layout, and metadata is dropped in the standard layout, so
  // a client always receives the layout it negotiated.
  static void write(MessageWriter& w, const RowDescription& m, const O& o) {
    static const RedshiftFieldMetadata kEmpty;
    w.count16(m.fields.size());
    for (const auto& f : m.fields) {
      w.cstring(f.name);
      w.i32(f.table_oid);
      w.i16(f.column_attr);
      w.i32(f.type_oid);
      w.i16(f.type_size);
      w.i32(f.type_modifier);
      w.i16(f.format);
      if (o.redshift_row_metadata) {
        const RedshiftFieldMetadata& r = f.redshift ? *f.redshift : kEmpty;
        w.cstring(r.schema_name);
        w.cstring(r.table_name);
        w.cstring(r.column_name);
        w.cstring(r.catalog_name);
        w.i16(r.flags);
      }
    }
  }
};

}  // namespace

absl::StatusOr<BackendMessage> decode_backend(char code, std::span<const uint8_t> body,
                                              const BackendOptions& options) {
  return internal::decode_by_code<BackendMessage, BackendBodies, UnknownBackend>(code, body, options);
}

void encode(const BackendMessage& message, std::string& out, const BackendOptions& options) {
  internal::encode_variant<BackendBodies>(message, out, options);
}

char code_of(const BackendMessage& message) { return internal::code_of_variant(message); }

}  // namespace blueshift::protocol

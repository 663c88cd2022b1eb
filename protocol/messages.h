// PostgreSQL v3 wire messages as plain value structs, one variant per direction.
//
// Direction is in the type: FrontendMessage (client -> server) and BackendMessage
// (server -> client) are separate variants, because 'D', 'E', 'S', 'C', 'd' mean
// different things in each direction. Every struct names its own code in kCode;
// the encoder, the decoder and code_of() all read that one constant (codec's
// variant_codec.h builds the code -> type table from it and rejects duplicates at
// compile time). Every struct compares with == so round trips can be checked.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace blueshift::protocol {

// ---------------------------------------------------------------- startup phase
// Messages without a type byte: Int32 length, Int32 code, body.
inline constexpr int32_t kProtocolVersion3 = 196608;       // 3.0
inline constexpr int32_t kSslRequestCode = 80877103;
inline constexpr int32_t kGssEncRequestCode = 80877104;
inline constexpr int32_t kCancelRequestCode = 80877102;

struct StartupMessage {
  int32_t protocol_version = kProtocolVersion3;
  // In the order received; names are unique in practice but order is kept so a
  // re-encoded packet differs only where the proxy changed it.
  std::vector<std::pair<std::string, std::string>> parameters;

  [[nodiscard]] const std::string* find(std::string_view name) const;
  void erase(std::string_view name);  // removes every entry with that name
  bool operator==(const StartupMessage&) const = default;
};
struct SslRequest { bool operator==(const SslRequest&) const = default; };
struct GssEncRequest { bool operator==(const GssEncRequest&) const = default; };
struct CancelRequest {
  int32_t process_id = 0;
  int32_t secret_key = 0;
  bool operator==(const CancelRequest&) const = default;
};
using StartupPacket = std::variant<StartupMessage, SslRequest, GssEncRequest, CancelRequest>;

// ---------------------------------------------------------------- frontend
struct Query {
  static constexpr char kCode = 'Q';
  std::string sql;
  bool operator==(const Query&) const = default;
};
struct Parse {
  static constexpr char kCode = 'P';
  std::string statement;  // "" is the unnamed statement
  std::string query;
  std::vector<int32_t> param_types;
  bool operator==(const Parse&) const = default;
};
struct Bind {
  static constexpr char kCode = 'B';
  std::string portal;
  std::string statement;
  std::vector<int16_t> param_formats;
  std::vector<std::optional<std::string>> params;  // nullopt is SQL NULL
  std::vector<int16_t> result_formats;
  bool operator==(const Bind&) const = default;
};
struct Describe {
  static constexpr char kCode = 'D';
  char kind = 'S';  // 'S' or 'P'
  std::string name;
  bool operator==(const Describe&) const = default;
};
struct Execute {
  static constexpr char kCode = 'E';
  std::string portal;
  int32_t max_rows = 0;
  bool operator==(const Execute&) const = default;
};
struct Close {
  static constexpr char kCode = 'C';
  char kind = 'S';  // 'S' or 'P'
  std::string name;
  bool operator==(const Close&) const = default;
};
struct Sync {
  static constexpr char kCode = 'S';
  bool operator==(const Sync&) const = default;
};
struct Flush {
  static constexpr char kCode = 'H';
  bool operator==(const Flush&) const = default;
};
struct Terminate {
  static constexpr char kCode = 'X';
  bool operator==(const Terminate&) const = default;
};
struct CopyDataF {
  static constexpr char kCode = 'd';
  std::string data;
  bool operator==(const CopyDataF&) const = default;
};
struct CopyDoneF {
  static constexpr char kCode = 'c';
  bool operator==(const CopyDoneF&) const = default;
};
struct CopyFail {
  static constexpr char kCode = 'f';
  std::string message;
  bool operator==(const CopyFail&) const = default;
};
struct FunctionCall {
  static constexpr char kCode = 'F';
  int32_t function_oid = 0;
  std::vector<int16_t> arg_formats;
  std::vector<std::optional<std::string>> args;
  int16_t result_format = 0;
  bool operator==(const FunctionCall&) const = default;
};
// 'p': PasswordMessage, SASLInitialResponse, SASLResponse and GSSResponse share the
// code; which one it is depends on the authentication request it answers, so the
// payload stays raw. Helpers in auth.h read the SASL forms.
struct AuthResponse {
  static constexpr char kCode = 'p';
  std::string payload;
  bool operator==(const AuthResponse&) const = default;
};
// Any other code (Redshift's 'i' IdP token, a future message): kept as bytes so it
// can be relayed unchanged.
struct UnknownFrontend {
  char code = 0;
  std::string payload;
  bool operator==(const UnknownFrontend&) const = default;
};

using FrontendMessage =
    std::variant<Query, Parse, Bind, Describe, Execute, Close, Sync, Flush, Terminate, CopyDataF,
                 CopyDoneF, CopyFail, FunctionCall, AuthResponse, UnknownFrontend>;

// ---------------------------------------------------------------- backend
enum class AuthType : int32_t {
  Ok = 0,
  KerberosV5 = 2,
  CleartextPassword = 3,
  Md5Password = 5,
  Gss = 7,
  GssContinue = 8,
  Sspi = 9,
  Sasl = 10,
  SaslContinue = 11,
  SaslFinal = 12,
  RedshiftDigest = 13,  // AUTH_REQ_DIGEST: client answers with frontend type 'd'
  RedshiftIdp = 14,     // AUTH_REQ_IDP: client answers with frontend type 'i'
};
// Redshift's two extra authentication requests, as the AWS drivers read them
// (aws/amazon-redshift-jdbc-driver core/v3/ConnectionFactoryImpl.java doAuthentication,
// aws/amazon-redshift-python-driver redshift_connector/core.py
// handle_AUTHENTICATION_REQUEST); all integers big-endian:
//
//  13 AUTH_REQ_DIGEST, payload after the Int32 type:
//       Int32 algorithm (0 = SHA-256, the only one the drivers know; the JDBC constants
//             also name 1 = scrypt, 2 = argon2), Int32 salt length, salt bytes,
//       Int32 server-nonce length, server-nonce bytes.
//     The client answers with frontend code 'd' (not CopyData here; the codec decodes it
//     as CopyDataF and relays it unchanged), body:
//       Int32 digest length, digest bytes, Int32 client-nonce length, client-nonce bytes
//     (client nonce = decimal milliseconds since the epoch as ASCII; digest from the
//     drivers' ExtensibleDigest over client nonce, password, salt and server nonce).
//  14 AUTH_REQ_IDP, no payload. The client answers with frontend code 'i' (decoded as
//     UnknownFrontend), body: the UTF-8 identity token; JDBC appends a NUL terminator,
//     the Python driver does not.
//
// auth.h has parse/encode helpers for both digest messages.
struct Authentication {
  static constexpr char kCode = 'R';
  int32_t type = 0;      // an AuthType value, kept as int so unknown ones relay
  std::string payload;   // everything after the Int32 type
  bool operator==(const Authentication&) const = default;
};
struct BackendKeyData {
  static constexpr char kCode = 'K';
  int32_t process_id = 0;
  int32_t secret_key = 0;
  bool operator==(const BackendKeyData&) const = default;
};
struct BindComplete {
  static constexpr char kCode = '2';
  bool operator==(const BindComplete&) const = default;
};
struct CloseComplete {
  static constexpr char kCode = '3';
  bool operator==(const CloseComplete&) const = default;
};
struct CommandComplete {
  static constexpr char kCode = 'C';
  std::string tag;
  bool operator==(const CommandComplete&) const = default;
};
struct CopyDataB {
  static constexpr char kCode = 'd';
  std::string data;
  bool operator==(const CopyDataB&) const = default;
};
struct CopyDoneB {
  static constexpr char kCode = 'c';
  bool operator==(const CopyDoneB&) const = default;
};
struct CopyResponseBody {
  int8_t format = 0;  // 0 text, 1 binary
  std::vector<int16_t> column_formats;
  bool operator==(const CopyResponseBody&) const = default;
};
struct CopyInResponse : CopyResponseBody {
  static constexpr char kCode = 'G';
  bool operator==(const CopyInResponse&) const = default;
};
struct CopyOutResponse : CopyResponseBody {
  static constexpr char kCode = 'H';
  bool operator==(const CopyOutResponse&) const = default;
};
struct CopyBothResponse : CopyResponseBody {
  static constexpr char kCode = 'W';
  bool operator==(const CopyBothResponse&) const = default;
};
struct DataRow {
  static constexpr char kCode = 'D';
  std::vector<std::optional<std::string>> values;
  bool operator==(const DataRow&) const = default;
};
struct EmptyQueryResponse {
  static constexpr char kCode = 'I';
  bool operator==(const EmptyQueryResponse&) const = default;
};
// ErrorResponse and NoticeResponse: (field code, value) pairs, e.g. 'S' severity,
// 'V' non-localized severity, 'C' SQLSTATE, 'M' message, 'D' detail, 'H' hint.
struct NoticeFields {
  std::vector<std::pair<char, std::string>> fields;
  [[nodiscard]] const std::string* find(char code) const;
  bool operator==(const NoticeFields&) const = default;
};
struct ErrorResponse : NoticeFields {
  static constexpr char kCode = 'E';
  bool operator==(const ErrorResponse&) const = default;
};
struct NoticeResponse : NoticeFields {
  static constexpr char kCode = 'N';
  bool operator==(const NoticeResponse&) const = default;
};
struct FunctionCallResponse {
  static constexpr char kCode = 'V';
  std::optional<std::string> value;
  bool operator==(const FunctionCallResponse&) const = default;
};
struct NegotiateProtocolVersion {
  static constexpr char kCode = 'v';
  int32_t newest_minor = 0;
  std::vector<std::string> unrecognized_options;
  bool operator==(const NegotiateProtocolVersion&) const = default;
};
struct NoData {
  static constexpr char kCode = 'n';
  bool operator==(const NoData&) const = default;
};
struct NotificationResponse {
  static constexpr char kCode = 'A';
  int32_t process_id = 0;
  std::string channel;
  std::string payload;
  bool operator==(const NotificationResponse&) const = default;
};
struct ParameterDescription {
  static constexpr char kCode = 't';
  std::vector<int32_t> type_oids;
  bool operator==(const ParameterDescription&) const = default;
};
struct ParameterStatus {
  static constexpr char kCode = 'S';
  std::string name;
  std::string value;
  bool operator==(const ParameterStatus&) const = default;
};
struct ParseComplete {
  static constexpr char kCode = '1';
  bool operator==(const ParseComplete&) const = default;
};
struct PortalSuspended {
  static constexpr char kCode = 's';
  bool operator==(const PortalSuspended&) const = default;
};
struct ReadyForQuery {
  static constexpr char kCode = 'Z';
  char status = 'I';
  bool operator==(const ReadyForQuery&) const = default;
};  // 'I', 'T', 'E'

// Redshift servers whose ParameterStatus server_protocol_version is >= 1 (answering a
// client_protocol_version >= 1) append per-field metadata after the standard 18 bytes.
// Layout per field, as read by aws/amazon-redshift-jdbc-driver
// core/v3/QueryExecutorImpl.java receiveFields(serverProtocolVersion) (when
// serverProtocolVersion >= EXTENDED_RESULT_METADATA_SERVER_PROTOCOL_VERSION = 1) and by
// aws/amazon-redshift-python-driver redshift_connector/core.py handle_ROW_DESCRIPTION:
//   String schema name, String table name, String column name (the base column; the
//   standard field name is the label), String catalog name, Int16 flags.
struct RedshiftFieldMetadata {
  // Flag bits. Both drivers call bit 0 "nullable", yet JDBC reports columnNoNulls when it
  // is set; case_sensitive is only read for server_protocol_version >= 3.
  static constexpr int16_t kNullableBit = 0x0001;
  static constexpr int16_t kCaseSensitiveBit = 0x0002;
  static constexpr int16_t kAutoIncrementBit = 0x0010;
  static constexpr int16_t kReadOnlyBit = 0x0100;
  static constexpr int16_t kSearchableBit = 0x1000;

  std::string schema_name;
  std::string table_name;
  std::string column_name;
  std::string catalog_name;
  int16_t flags = 0;
  bool operator==(const RedshiftFieldMetadata&) const = default;
};
struct FieldDescription {
  std::string name;
  int32_t table_oid = 0;
  int16_t column_attr = 0;
  int32_t type_oid = 0;
  int16_t type_size = 0;
  int32_t type_modifier = 0;
  int16_t format = 0;
  std::optional<RedshiftFieldMetadata> redshift;  // present only in the extended layout
  bool operator==(const FieldDescription&) const = default;
};
struct RowDescription {
  static constexpr char kCode = 'T';
  std::vector<FieldDescription> fields;
  bool operator==(const RowDescription&) const = default;
};
struct UnknownBackend {
  char code = 0;
  std::string payload;
  bool operator==(const UnknownBackend&) const = default;
};

using BackendMessage =
    std::variant<Authentication, BackendKeyData, BindComplete, CloseComplete, CommandComplete,
                 CopyDataB, CopyDoneB, CopyInResponse, CopyOutResponse, CopyBothResponse, DataRow,
                 EmptyQueryResponse, ErrorResponse, NoticeResponse, FunctionCallResponse,
                 NegotiateProtocolVersion, NoData, NotificationResponse, ParameterDescription,
                 ParameterStatus, ParseComplete, PortalSuspended, ReadyForQuery, RowDescription,
                 UnknownBackend>;

}  // namespace blueshift::protocol

// Test helper: at least one sample of every frontend, backend and startup message type,
// with edge values (empty strings, NULLs, embedded NUL bytes in raw payloads, negative
// integers), and the codes the PostgreSQL documentation assigns, written out here by
// hand so they are checked against, not copied from, each struct's kCode.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "protocol/messages.h"

namespace blueshift::protocol::testing {

using namespace std::string_literals;

inline std::vector<FrontendMessage> frontend_samples() {
  return {
      Query{"SELECT 1"},
      Query{""},
      Parse{"s1", "SELECT $1::int, $2", {23, 0}},
      Parse{"", "SELECT 1", {}},
      Bind{"p1", "s1", {0, 1}, {"42"s, std::nullopt, ""s, "\0\1\2"s}, {1}},
      Bind{},
      Describe{'S', "s1"},
      Describe{'P', ""},
      Execute{"p1", 100},
      Execute{"", 0},
      Close{'S', "s1"},
      Close{'P', "p1"},
      Sync{},
      Flush{},
      Terminate{},
      CopyDataF{"1\tone\n2\t\\N\n\0binary"s},
      CopyDataF{""},
      CopyDoneF{},
      CopyFail{"client gave up"},
      FunctionCall{1598, {1}, {"\0\0\0\1"s, std::nullopt}, 1},
      AuthResponse{"md5abcdef0123456789\0"s},
      AuthResponse{"SCRAM-SHA-256\0\0\0\0\4n,,x"s},
      UnknownFrontend{'i', "eyJhbGciOi.token\0"s},
      UnknownFrontend{'\x7f', ""},
  };
}

inline std::vector<BackendMessage> backend_samples() {
  return {
      Authentication{0, ""},
      Authentication{5, "\1\2\3\4"s},
      Authentication{10, "SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0"s},
      Authentication{14, ""},
      BackendKeyData{4242, -17},
      BindComplete{},
      CloseComplete{},
      CommandComplete{"INSERT 0 3"},
      CopyDataB{"a,b\n\0\xff"s},
      CopyDoneB{},
      CopyInResponse{{0, {0, 0, 0}}},
      CopyOutResponse{{1, {1}}},
      CopyBothResponse{{0, {}}},
      DataRow{{"1"s, std::nullopt, ""s, "\0x"s}},
      DataRow{{}},
      EmptyQueryResponse{},
      ErrorResponse{{{{'S', "ERROR"}, {'V', "ERROR"}, {'C', "42P01"}, {'M', "relation \"x\" does not exist"},
                      {'P', "15"}}}},
      NoticeResponse{{{{'S', "NOTICE"}, {'M', ""}}}},
      NoticeResponse{},
      FunctionCallResponse{"\0\0\0\7"s},
      FunctionCallResponse{std::nullopt},
      NegotiateProtocolVersion{0, {"_pq_.compression", "_pq_.other"}},
      NoData{},
      NotificationResponse{77, "events", "payload text"},
      ParameterDescription{{23, 25, 0}},
      ParameterStatus{"server_protocol_version", "2"},
      ParameterStatus{"application_name", ""},
      ParseComplete{},
      PortalSuspended{},
      ReadyForQuery{'I'},
      ReadyForQuery{'T'},
      ReadyForQuery{'E'},
      RowDescription{{FieldDescription{"id", 16384, 1, 23, 4, -1, 0, std::nullopt},
                      FieldDescription{"", 0, 0, 25, -1, -1, 1, std::nullopt}}},
      RowDescription{},
      UnknownBackend{'q', "\0\1"s},
  };
}

inline std::vector<StartupPacket> startup_samples() {
  return {
      StartupMessage{kProtocolVersion3, {{"user", "analyst"}, {"database", "dev"}, {"client_protocol_version", "2"}}},
      StartupMessage{kProtocolVersion3, {{"user", "u"}, {"options", ""}}},
      StartupMessage{kProtocolVersion3 + 2, {}},  // 3.2, answered with NegotiateProtocolVersion
      SslRequest{},
      GssEncRequest{},
      CancelRequest{1234, -99},
  };
}

// Codes from the "Message Formats" chapter of the PostgreSQL documentation, in variant order.
inline const std::vector<std::pair<const char*, char>>& frontend_codes() {
  static const std::vector<std::pair<const char*, char>> kCodes = {
      {"Query", 'Q'},     {"Parse", 'P'},        {"Bind", 'B'},     {"Describe", 'D'},  {"Execute", 'E'},
      {"Close", 'C'},     {"Sync", 'S'},         {"Flush", 'H'},    {"Terminate", 'X'}, {"CopyData", 'd'},
      {"CopyDone", 'c'},  {"CopyFail", 'f'},     {"FunctionCall", 'F'}, {"PasswordMessage etc.", 'p'},
  };
  return kCodes;
}

inline const std::vector<std::pair<const char*, char>>& backend_codes() {
  static const std::vector<std::pair<const char*, char>> kCodes = {
      {"Authentication", 'R'},       {"BackendKeyData", 'K'},    {"BindComplete", '2'},
      {"CloseComplete", '3'},        {"CommandComplete", 'C'},   {"CopyData", 'd'},
      {"CopyDone", 'c'},             {"CopyInResponse", 'G'},    {"CopyOutResponse", 'H'},
      {"CopyBothResponse", 'W'},     {"DataRow", 'D'},           {"EmptyQueryResponse", 'I'},
      {"ErrorResponse", 'E'},        {"NoticeResponse", 'N'},    {"FunctionCallResponse", 'V'},
      {"NegotiateProtocolVersion", 'v'}, {"NoData", 'n'},        {"NotificationResponse", 'A'},
      {"ParameterDescription", 't'}, {"ParameterStatus", 'S'},   {"ParseComplete", '1'},
      {"PortalSuspended", 's'},      {"ReadyForQuery", 'Z'},     {"RowDescription", 'T'},
  };
  return kCodes;
}

}  // namespace blueshift::protocol::testing

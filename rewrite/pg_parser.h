// Thin RAII layer over libpg_query (internal to rewrite/): parse to an unpacked protobuf
// tree, scan to tokens, fingerprint, and a generic walk over protobuf-c messages.
//
// libpg_query 4.x keeps its memory contexts per thread, so these calls are safe from
// several threads at once. They recurse as deep as the parse tree: callers bound the
// nesting first (see nesting.h).
#pragma once

#include <pg_query/pg_query.pb-c.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace blueshift::rewrite::pg {

// The unpacked tree lives in an arena (protobuf-c would otherwise malloc and free
// every node one by one, which costs more than the parse itself).
class Arena;
struct ParseResultDeleter {
  void operator()(PgQuery__ParseResult* p) const;
  std::shared_ptr<Arena> arena;
};
using ParseTree = std::unique_ptr<PgQuery__ParseResult, ParseResultDeleter>;

struct ParseOutcome {
  ParseTree tree;      // null when the grammar rejected the text
  std::string error;   // the parser's message when tree is null
  int error_position = -1;  // 0-based byte offset, -1 if unknown
};

// `text` must not contain NUL bytes (std::string keeps the terminator libpg_query needs).
[[nodiscard]] ParseOutcome parse(const std::string& text);

enum class TokenKind {
  Word,         // unquoted identifier or keyword
  QuotedIdent,  // "..." or U&"..."
  String,       // '...', E'...', B'...', X'...', U&'...', $tag$...$tag$
  Number,
  Param,        // $n
  Op,           // operator (including multi-character ones, ::, =>, :=)
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Semicolon,
  Dot,
  Colon,
  Other,
};

struct Token {
  int start = 0;  // byte offsets into the scanned text
  int end = 0;
  TokenKind kind = TokenKind::Other;
  bool reserved = false;   // a reserved keyword (cannot be a bare name)
  bool keyword = false;    // any keyword
  std::string word;        // Word: lower-cased text; otherwise empty
};

// Tokens without comments; false (and *error set) when the scanner fails, e.g.
// on an unterminated literal.
[[nodiscard]] bool scan(const std::string& text, std::vector<Token>* tokens, std::string* error);
// The same with every Token::word left empty, for callers that read words from the text
// themselves: folding a copy of each word costs an allocation per long name, a good part
// of scanning a BI tool's statement.
[[nodiscard]] bool scan_unfolded(const std::string& text, std::vector<Token>* tokens, std::string* error);
// The same, decoding the scanner's output with protobuf-c's generic unpack rather than
// in place: what scan does when libpg_query's descriptors do not match what it reads,
// and the reference its tests compare with.
[[nodiscard]] bool scan_generic(const std::string& text, std::vector<Token>* tokens, std::string* error);

// libpg_query's fingerprint as 16 hex digits, "" when the text does not parse.
[[nodiscard]] std::string fingerprint(const std::string& text);

// Calls f(child) for every message-typed field (single or repeated) of msg.
template <typename F>
void for_each_child(const ProtobufCMessage* msg, F&& f) {
  if (msg == nullptr) return;
  const ProtobufCMessageDescriptor* d = msg->descriptor;
  const auto* base = reinterpret_cast<const char*>(msg);
  if (d == &pg_query__node__descriptor) {
    // A Node is a oneof over ~250 node types: go straight to the one that is set.
    const auto* node = reinterpret_cast<const PgQuery__Node*>(msg);
    const ProtobufCFieldDescriptor* fd =
        protobuf_c_message_descriptor_get_field(d, static_cast<unsigned>(node->node_case));
    if (fd == nullptr || fd->type != PROTOBUF_C_TYPE_MESSAGE) return;
    auto* child = *reinterpret_cast<ProtobufCMessage* const*>(base + fd->offset);
    if (child != nullptr) f(child);
    return;
  }
  for (unsigned i = 0; i < d->n_fields; ++i) {
    const ProtobufCFieldDescriptor& fd = d->fields[i];
    if (fd.type != PROTOBUF_C_TYPE_MESSAGE) continue;
    if (fd.label == PROTOBUF_C_LABEL_REPEATED) {
      const size_t n = *reinterpret_cast<const size_t*>(base + fd.quantifier_offset);
      auto* const* items = *reinterpret_cast<ProtobufCMessage* const* const*>(base + fd.offset);
      for (size_t k = 0; k < n; ++k) {
        if (items[k] != nullptr) f(items[k]);
      }
    } else {
      if (fd.flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        const uint32_t which = *reinterpret_cast<const uint32_t*>(base + fd.quantifier_offset);
        if (which != fd.id) continue;
      }
      auto* child = *reinterpret_cast<ProtobufCMessage* const*>(base + fd.offset);
      if (child != nullptr) f(child);
    }
  }
}

inline bool is_node(const ProtobufCMessage* m) { return m != nullptr && m->descriptor == &pg_query__node__descriptor; }

// Readers of parse-tree fields shared by the walkers (query_walker, utility_facts, ...).
inline std::string_view sv(const char* s) { return s == nullptr ? std::string_view() : std::string_view(s); }
// protobuf-c leaves absent string fields as "" rather than NULL.
inline bool has(const char* s) { return s != nullptr && *s != '\0'; }
// The text of a String node, "" for any other node.
inline std::string_view str_node(const PgQuery__Node* n) {
  return n != nullptr && n->node_case == PG_QUERY__NODE__NODE_STRING && n->string->sval ? sv(n->string->sval) : "";
}
// Last element of a qualified name list (function, operator or type names).
inline std::string_view last_name(PgQuery__Node* const* names, size_t n) {
  return n == 0 ? std::string_view() : str_node(names[n - 1]);
}

// Some byte offset (a `location` field) inside the tree under m, -1 if it has none.
[[nodiscard]] int first_location(const ProtobufCMessage* m);

}  // namespace blueshift::rewrite::pg

// True when parse-tree node n (a PgQuery__Node*) holds a node of kind X, e.g. IS(n, RANGE_VAR).
#define IS(n, X) ((n) != nullptr && (n)->node_case == PG_QUERY__NODE__NODE_##X)

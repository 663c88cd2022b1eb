#include "rewrite/pg_parser.h"

#include <pg_query.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace blueshift::rewrite::pg {

// A bump allocator for protobuf-c: blocks are freed all at once with the tree.
class Arena {
 public:
  Arena() {
    allocator_.alloc = &Arena::alloc;
    allocator_.free = &Arena::free;
    allocator_.allocator_data = this;
  }
  ~Arena() {
    for (void* b : blocks_) std::free(b);
  }
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ProtobufCAllocator* allocator() { return &allocator_; }

 private:
  static constexpr size_t kBlock = 16 * 1024;

  static void* alloc(void* data, size_t size) {
    auto* a = static_cast<Arena*>(data);
    size = (size + 15) & ~size_t{15};
    if (size > kBlock / 4) {  // large: its own block
      void* p = std::malloc(size);
      if (p != nullptr) a->blocks_.push_back(p);
      return p;
    }
    if (a->left_ < size) {
      a->next_ = static_cast<char*>(std::malloc(kBlock));
      if (a->next_ == nullptr) {
        a->left_ = 0;
        return nullptr;
      }
      a->blocks_.push_back(a->next_);
      a->left_ = kBlock;
    }
    void* p = a->next_;
    a->next_ += size;
    a->left_ -= size;
    return p;
  }
  static void free(void*, void*) {}

  ProtobufCAllocator allocator_{};
  std::vector<void*> blocks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

void ParseResultDeleter::operator()(PgQuery__ParseResult* /*p*/) const {
  // Everything lives in the arena, released when the last reference goes.
}

ParseOutcome parse(const std::string& text) {
  ParseOutcome out;
  PgQueryProtobufParseResult r = pg_query_parse_protobuf(text.c_str());
  if (r.error != nullptr) {
    out.error = r.error->message != nullptr ? r.error->message : "syntax error";
    out.error_position = r.error->cursorpos > 0 ? r.error->cursorpos - 1 : -1;
  } else {
    auto arena = std::make_shared<Arena>();
    PgQuery__ParseResult* tree = pg_query__parse_result__unpack(
        arena->allocator(), r.parse_tree.len, reinterpret_cast<const uint8_t*>(r.parse_tree.data));
    out.tree = ParseTree(tree, ParseResultDeleter{std::move(arena)});
    if (!out.tree) out.error = "could not decode the parse tree";
  }
  pg_query_free_protobuf_parse_result(r);
  return out;
}

namespace {

TokenKind kind_of(PgQuery__Token t, char first) {
  switch (t) {
    case PG_QUERY__TOKEN__IDENT:
      return first == '"' ? TokenKind::QuotedIdent : TokenKind::Word;
    case PG_QUERY__TOKEN__UIDENT:
      return TokenKind::QuotedIdent;
    case PG_QUERY__TOKEN__SCONST:
    case PG_QUERY__TOKEN__USCONST:
    case PG_QUERY__TOKEN__BCONST:
    case PG_QUERY__TOKEN__XCONST:
      return TokenKind::String;
    case PG_QUERY__TOKEN__ICONST:
    case PG_QUERY__TOKEN__FCONST:
      return TokenKind::Number;
    case PG_QUERY__TOKEN__PARAM:
      return TokenKind::Param;
    case PG_QUERY__TOKEN__ASCII_40: return TokenKind::LParen;
    case PG_QUERY__TOKEN__ASCII_41: return TokenKind::RParen;
    case PG_QUERY__TOKEN__ASCII_91: return TokenKind::LBracket;
    case PG_QUERY__TOKEN__ASCII_93: return TokenKind::RBracket;
    case PG_QUERY__TOKEN__ASCII_44: return TokenKind::Comma;
    case PG_QUERY__TOKEN__ASCII_59: return TokenKind::Semicolon;
    case PG_QUERY__TOKEN__ASCII_46: return TokenKind::Dot;
    case PG_QUERY__TOKEN__ASCII_58: return TokenKind::Colon;
    case PG_QUERY__TOKEN__Op:
    case PG_QUERY__TOKEN__TYPECAST:
    case PG_QUERY__TOKEN__DOT_DOT:
    case PG_QUERY__TOKEN__COLON_EQUALS:
    case PG_QUERY__TOKEN__EQUALS_GREATER:
    case PG_QUERY__TOKEN__LESS_EQUALS:
    case PG_QUERY__TOKEN__GREATER_EQUALS:
    case PG_QUERY__TOKEN__NOT_EQUALS:
      return TokenKind::Op;
    default:
      break;
  }
  if (t < 256) return TokenKind::Op;  // single-character operators: + - * / % ^ < > = |
  return TokenKind::Word;              // keywords
}

}  // namespace

namespace {

// Where ScanResult keeps its tokens and ScanToken its fields, read from the descriptors
// libpg_query was built with (they pack the bytes this file reads); nullopt when a field
// is gone or no longer a varint, and the generic unpack must do.
struct ScanWire {
  uint32_t tokens = 0, start = 0, end = 0, token = 0, keyword_kind = 0;
};

std::optional<ScanWire> find_scan_wire() {
  auto id = [](const ProtobufCMessageDescriptor& d, const char* name, ProtobufCType type, ProtobufCLabel label) {
    const ProtobufCFieldDescriptor* f = protobuf_c_message_descriptor_get_field_by_name(&d, name);
    return f != nullptr && f->type == type && f->label == label ? f->id : 0u;
  };
  ScanWire w;
  w.tokens = id(pg_query__scan_result__descriptor, "tokens", PROTOBUF_C_TYPE_MESSAGE, PROTOBUF_C_LABEL_REPEATED);
  w.start = id(pg_query__scan_token__descriptor, "start", PROTOBUF_C_TYPE_INT32, PROTOBUF_C_LABEL_NONE);
  w.end = id(pg_query__scan_token__descriptor, "end", PROTOBUF_C_TYPE_INT32, PROTOBUF_C_LABEL_NONE);
  w.token = id(pg_query__scan_token__descriptor, "token", PROTOBUF_C_TYPE_ENUM, PROTOBUF_C_LABEL_NONE);
  w.keyword_kind = id(pg_query__scan_token__descriptor, "keyword_kind", PROTOBUF_C_TYPE_ENUM, PROTOBUF_C_LABEL_NONE);
  if (w.tokens == 0 || w.start == 0 || w.end == 0 || w.token == 0 || w.keyword_kind == 0) return std::nullopt;
  return w;
}

// One token as the scanner reported it.
struct RawToken {
  int32_t start = 0, end = 0;
  PgQuery__Token token = PG_QUERY__TOKEN__NUL;
  PgQuery__KeywordKind keyword_kind = PG_QUERY__KEYWORD_KIND__NO_KEYWORD;
};

// Protobuf wire format, as far as ScanResult needs it.
class WireReader {
 public:
  WireReader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  [[nodiscard]] bool done() const { return p_ == end_; }
  [[nodiscard]] bool varint(uint64_t* v) {
    uint64_t r = 0;
    for (unsigned shift = 0; shift < 64 && p_ != end_; shift += 7) {
      const uint8_t b = *p_++;
      r |= uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        *v = r;
        return true;
      }
    }
    return false;
  }
  // A length-delimited field's bytes, as a reader of their own.
  [[nodiscard]] bool bytes(WireReader* inner) {
    uint64_t n = 0;
    if (!varint(&n) || n > static_cast<uint64_t>(end_ - p_)) return false;
    *inner = WireReader(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }
  [[nodiscard]] bool skip(uint64_t wire_type) {
    uint64_t unused = 0;
    WireReader inner(nullptr, 0);
    switch (wire_type) {
      case 0: return varint(&unused);
      case 1: return advance(8);
      case 2: return bytes(&inner);
      case 5: return advance(4);
      default: return false;
    }
  }

 private:
  bool advance(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

// How many tokens a packed ScanResult holds (an upper bound when its bytes are bad).
size_t count_scan_tokens(const uint8_t* data, size_t size, const ScanWire& w) {
  WireReader result(data, size);
  size_t n = 0;
  uint64_t key = 0;
  while (!result.done() && result.varint(&key) && result.skip(key & 7)) {
    if (key >> 3 == w.tokens) ++n;
  }
  return n;
}

// Calls add(RawToken) for each token of a packed ScanResult; false on bytes that do not
// decode.
template <typename F>
bool decode_scan_result(const uint8_t* data, size_t size, const ScanWire& w, F&& add) {
  WireReader result(data, size);
  while (!result.done()) {
    uint64_t key = 0;
    if (!result.varint(&key)) return false;
    if (key >> 3 != w.tokens || (key & 7) != 2) {
      if (!result.skip(key & 7)) return false;
      continue;
    }
    WireReader token(nullptr, 0);
    if (!result.bytes(&token)) return false;
    RawToken t;
    while (!token.done()) {
      uint64_t tkey = 0, v = 0;
      if (!token.varint(&tkey)) return false;
      const uint64_t field = tkey >> 3;
      const bool known = field == w.start || field == w.end || field == w.token || field == w.keyword_kind;
      if (!known || (tkey & 7) != 0) {
        if (!token.skip(tkey & 7)) return false;
        continue;
      }
      if (!token.varint(&v)) return false;
      // int32 and enum values travel as 64-bit two's complement varints.
      const auto value = static_cast<int32_t>(static_cast<uint32_t>(v));
      if (field == w.start) t.start = value;
      if (field == w.end) t.end = value;
      if (field == w.token) t.token = static_cast<PgQuery__Token>(value);
      if (field == w.keyword_kind) t.keyword_kind = static_cast<PgQuery__KeywordKind>(value);
    }
    add(t);
  }
  return true;
}

// The same through protobuf-c's generic unpack.
template <typename F>
bool unpack_scan_result(const uint8_t* data, size_t size, std::vector<Token>* tokens, F&& add) {
  PgQuery__ScanResult* sr = pg_query__scan_result__unpack(nullptr, size, data);
  if (sr == nullptr) return false;
  tokens->reserve(sr->n_tokens);
  for (size_t i = 0; i < sr->n_tokens; ++i) {
    const PgQuery__ScanToken* st = sr->tokens[i];
    add(RawToken{st->start, st->end, st->token, st->keyword_kind});
  }
  pg_query__scan_result__free_unpacked(sr, nullptr);
  return true;
}

bool scan_with(const std::string& text, std::vector<Token>* tokens, std::string* error, bool generic_unpack,
               bool fold_words) {
  tokens->clear();
  PgQueryScanResult r = pg_query_scan(text.c_str());
  if (r.error != nullptr) {
    if (error != nullptr) *error = r.error->message != nullptr ? r.error->message : "scanner error";
    pg_query_free_scan_result(r);
    return false;
  }
  const int size = static_cast<int>(text.size());
  auto add = [&](const RawToken& st) {
    if (st.token == PG_QUERY__TOKEN__SQL_COMMENT || st.token == PG_QUERY__TOKEN__C_COMMENT) return;
    if (st.start < 0 || st.end > size || st.start >= st.end) return;
    Token& t = tokens->emplace_back();
    t.start = st.start;
    t.end = st.end;
    t.kind = kind_of(st.token, text[static_cast<size_t>(st.start)]);
    t.keyword = st.keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD;
    t.reserved = st.keyword_kind == PG_QUERY__KEYWORD_KIND__RESERVED_KEYWORD;
    if (fold_words && t.kind == TokenKind::Word) {
      t.word.assign(text, static_cast<size_t>(t.start), static_cast<size_t>(t.end - t.start));
      for (char& c : t.word) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
    }
  };
  // The generic unpack allocates every token and costs more than the scan itself, which
  // matters on the simple-query path (rewrite/literal_template.h): the fields are read in
  // place when the descriptors say where they are.
  static const std::optional<ScanWire> wire = find_scan_wire();
  const auto* data = reinterpret_cast<const uint8_t*>(r.pbuf.data);
  bool ok = false;
  if (wire && !generic_unpack) {
    tokens->reserve(count_scan_tokens(data, r.pbuf.len, *wire));  // one allocation, touched once
    ok = decode_scan_result(data, r.pbuf.len, *wire, add);
  } else {
    ok = unpack_scan_result(data, r.pbuf.len, tokens, add);
  }
  pg_query_free_scan_result(r);
  if (!ok) {
    tokens->clear();
    if (error != nullptr) *error = "could not decode the scanner output";
  }
  return ok;
}

}  // namespace

bool scan(const std::string& text, std::vector<Token>* tokens, std::string* error) {
  return scan_with(text, tokens, error, false, true);
}

bool scan_unfolded(const std::string& text, std::vector<Token>* tokens, std::string* error) {
  return scan_with(text, tokens, error, false, false);
}

bool scan_generic(const std::string& text, std::vector<Token>* tokens, std::string* error) {
  return scan_with(text, tokens, error, true, true);
}

std::string fingerprint(const std::string& text) {
  PgQueryFingerprintResult r = pg_query_fingerprint(text.c_str());
  std::string out;
  if (r.error == nullptr && r.fingerprint_str != nullptr) out = r.fingerprint_str;
  pg_query_free_fingerprint_result(r);
  return out;
}

int first_location(const ProtobufCMessage* m) {
  if (m == nullptr) return -1;
  const ProtobufCMessageDescriptor* d = m->descriptor;
  if (d != &pg_query__node__descriptor) {
    for (unsigned i = 0; i < d->n_fields; ++i) {
      const ProtobufCFieldDescriptor& fd = d->fields[i];
      if (fd.type == PROTOBUF_C_TYPE_INT32 && fd.label != PROTOBUF_C_LABEL_REPEATED &&
          std::strcmp(fd.name, "location") == 0) {
        const int v = *reinterpret_cast<const int32_t*>(reinterpret_cast<const char*>(m) + fd.offset);
        if (v >= 0) return v;
      }
    }
  }
  int found = -1;
  pg::for_each_child(m, [&](const ProtobufCMessage* c) {
    if (found < 0) found = first_location(c);
  });
  return found;
}

}  // namespace blueshift::rewrite::pg

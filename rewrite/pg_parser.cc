#include "rewrite/pg_parser.h"

#include <pg_query.h>

#include <cstdio>
#include <cstdlib>

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

bool scan(const std::string& text, std::vector<Token>* tokens, std::string* error) {
  tokens->clear();
  PgQueryScanResult r = pg_query_scan(text.c_str());
  if (r.error != nullptr) {
    if (error != nullptr) *error = r.error->message != nullptr ? r.error->message : "scanner error";
    pg_query_free_scan_result(r);
    return false;
  }
  PgQuery__ScanResult* sr =
      pg_query__scan_result__unpack(nullptr, r.pbuf.len, reinterpret_cast<const uint8_t*>(r.pbuf.data));
  pg_query_free_scan_result(r);
  if (sr == nullptr) {
    if (error != nullptr) *error = "could not decode the scanner output";
    return false;
  }
  tokens->reserve(sr->n_tokens);
  const int size = static_cast<int>(text.size());
  for (size_t i = 0; i < sr->n_tokens; ++i) {
    const PgQuery__ScanToken* st = sr->tokens[i];
    if (st->token == PG_QUERY__TOKEN__SQL_COMMENT || st->token == PG_QUERY__TOKEN__C_COMMENT) continue;
    if (st->start < 0 || st->end > size || st->start >= st->end) continue;
    Token t;
    t.start = st->start;
    t.end = st->end;
    t.kind = kind_of(st->token, text[static_cast<size_t>(st->start)]);
    t.keyword = st->keyword_kind != PG_QUERY__KEYWORD_KIND__NO_KEYWORD;
    t.reserved = st->keyword_kind == PG_QUERY__KEYWORD_KIND__RESERVED_KEYWORD;
    if (t.kind == TokenKind::Word) {
      t.word.assign(text, static_cast<size_t>(t.start), static_cast<size_t>(t.end - t.start));
      for (char& c : t.word) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
    }
    tokens->push_back(std::move(t));
  }
  pg_query__scan_result__free_unpacked(sr, nullptr);
  return true;
}

std::string fingerprint(const std::string& text) {
  PgQueryFingerprintResult r = pg_query_fingerprint(text.c_str());
  std::string out;
  if (r.error == nullptr && r.fingerprint_str != nullptr) out = r.fingerprint_str;
  pg_query_free_fingerprint_result(r);
  return out;
}

}  // namespace blueshift::rewrite::pg

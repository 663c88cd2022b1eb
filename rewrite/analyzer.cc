// analyze(): the whole text through libpg_query first (the common case: one parse);
// when the grammar rejects it, statement by statement along the scanner's semicolons,
// each given the Redshift dialect rules before it is declared Unparsed.
#include "rewrite/analyzer.h"

#include <pthread.h>

#include <algorithm>
#include <cstdlib>

#include "rewrite/dialect.h"
#include "rewrite/function_calls.h"
#include "rewrite/identifiers.h"
#include "rewrite/opaque_text.h"
#include "rewrite/pg_parser.h"
#include "rewrite/query_walker.h"
#include "rewrite/quick_lexer.h"

namespace blueshift::rewrite {
namespace {

// Parse trees are walked recursively by libpg_query, protobuf-c and the walker, about
// 1.5 KB of stack per nesting unit (measured); 4 KB leaves room. Up to kInlineUnits the
// caller's stack is used; deeper statements get a thread with a stack sized for them;
// beyond kMaxUnits the text is not analysed at all (fail closed).
constexpr int kInlineUnits = 256;
constexpr int kMaxUnits = 32768;
constexpr size_t kBytesPerUnit = 4096;
constexpr size_t kStackSlack = 8u << 20;

StatementFacts unparsed(std::string error, std::vector<std::string> names, int location, int length) {
  StatementFacts st;
  st.kind = StatementKind::Unparsed;
  st.error = std::move(error);
  st.names = std::move(names);
  st.location = location;
  st.length = length;
  return st;
}

int token_max_param(const std::string& text, const std::vector<pg::Token>& tokens) {
  int best = 0;
  for (const auto& t : tokens) {
    if (t.kind == pg::TokenKind::Param) best = std::max(best, std::atoi(text.c_str() + t.start + 1));
  }
  return best;
}

QueryFacts analyze_guarded(std::string_view sql, const AnalysisContext& context);

// What the dialect pass changed that the walker must know, as absolute sorted offsets.
struct DialectMarks {
  std::vector<std::string> temp_names;
  std::vector<int> temps;
  std::vector<int> limited;
  std::vector<PivotMark> pivots;
};

class TextAnalysis {
 public:
  TextAnalysis(const std::string& text, const AnalysisContext& context)
      : text_(text), ctx_(context), path_(context.search_path) {}

  QueryFacts run() {
    pg::ParseOutcome parsed = pg::parse(text_);
    if (parsed.tree) {
      for (size_t i = 0; i < parsed.tree->n_stmts; ++i) {
        const PgQuery__RawStmt* raw = parsed.tree->stmts[i];
        StatementFacts st;
        walk(text_, raw, 0, nullptr, &st);
        st.location = raw->stmt_location;
        st.length = raw->stmt_len;
        facts_.statements.push_back(std::move(st));
      }
      facts_.max_param = max_param_number(&parsed.tree->base);
      facts_.fingerprint = pg::fingerprint(text_);
      return std::move(facts_);
    }
    std::vector<pg::Token> tokens;
    std::string scan_error;
    if (!pg::scan(text_, &tokens, &scan_error)) {
      facts_.statements.push_back(
          unparsed(parsed.error, lex_names(text_, ctx_.case_sensitive_identifiers), 0, 0));
      return std::move(facts_);
    }
    facts_.max_param = token_max_param(text_, tokens);
    rewritten_ = text_;
    pieces(tokens, parsed.error);
    facts_.fingerprint = all_parsed_ ? pg::fingerprint(rewritten_) : "";
    return std::move(facts_);
  }

 private:
  void walk(std::string_view text, const PgQuery__RawStmt* raw, int offset, const DialectMarks* marks,
            StatementFacts* st) {
    WalkInput in;
    in.text = text;
    in.context = &ctx_;
    in.search_path = &path_;
    in.location_offset = offset;
    if (marks != nullptr) {
      in.temp_positions = &marks->temps;
      in.temp_names = &marks->temp_names;
      in.limited_selects = &marks->limited;
      in.pivots = &marks->pivots;
    }
    walk_statement(raw->stmt, in, st);
    st->calls = called_functions(raw->stmt);
    if (st->targets_unknown) {
      const auto start = static_cast<size_t>(std::max(0, raw->stmt_location));
      const std::string own(text.substr(std::min(start, text.size()),
                                        raw->stmt_len > 0 ? static_cast<size_t>(raw->stmt_len) : std::string::npos));
      unknown_targets(own, nullptr, st);
    }
  }

  // A statement whose targets are not modelled: policies match its names, and the
  // search_path schemas its unqualified names may resolve in.
  void unknown_targets(const std::string& text, const std::vector<pg::Token>* tokens, StatementFacts* st) {
    st->targets_unknown = true;
    auto names = tokens != nullptr ? token_names(text, *tokens, ctx_.case_sensitive_identifiers)
                                   : text_names(text, ctx_.case_sensitive_identifiers);
    st->names.insert(st->names.end(), names.begin(), names.end());
    st->names.insert(st->names.end(), path_.begin(), path_.end());
    std::sort(st->names.begin(), st->names.end());
    st->names.erase(std::unique(st->names.begin(), st->names.end()), st->names.end());
  }

  // Statements split as PostgreSQL splits them: a statement starts after the previous
  // top-level semicolon and its length stops before its own (0 = to the end).
  void pieces(const std::vector<pg::Token>& tokens, const std::string& whole_error) {
    int depth = 0;
    size_t first = 0;
    int location = 0;
    for (size_t i = 0; i <= tokens.size(); ++i) {
      const bool end = i == tokens.size();
      if (!end) {
        const auto k = tokens[i].kind;
        if (k == pg::TokenKind::LParen || k == pg::TokenKind::LBracket) ++depth;
        if (k == pg::TokenKind::RParen || k == pg::TokenKind::RBracket) depth = std::max(0, depth - 1);
        if (k != pg::TokenKind::Semicolon || depth != 0) continue;
      }
      if (i > first) {
        const int stop = end ? static_cast<int>(text_.size()) : tokens[i].start;
        std::vector<pg::Token> own(tokens.begin() + static_cast<long>(first), tokens.begin() + static_cast<long>(i));
        for (auto& t : own) {
          t.start -= location;
          t.end -= location;
        }
        piece(location, stop - location, end ? 0 : stop - location, own, whole_error);
      }
      if (!end) {
        location = tokens[i].end;
        first = i + 1;
      }
    }
  }

  void piece(int location, int size, int length, const std::vector<pg::Token>& tokens, const std::string& whole_error) {
    const std::string text = text_.substr(static_cast<size_t>(location), static_cast<size_t>(size));
    pg::ParseOutcome parsed = pg::parse(text);
    if (parsed.tree) {
      emit(text, parsed, location, length, nullptr);
      return;
    }
    DialectRewrite d = redshift_rewrite(text, tokens, ctx_.case_sensitive_identifiers);
    switch (d.form) {
      case DialectRewrite::Form::Unload:
        all_parsed_ = false;
        return unload(d, location, length, text, tokens);
      case DialectRewrite::Form::CreateExternal:
        all_parsed_ = false;
        return create_external(d, location, length, text, tokens);
      case DialectRewrite::Form::Text:
        break;
    }
    if (d.changed) {
      pg::ParseOutcome again = pg::parse(d.text);
      if (again.tree) {
        DialectMarks marks;
        for (int p : d.temp_positions) marks.temps.push_back(p + location);
        marks.temp_names = d.temp_names;
        for (int p : d.limited_selects) marks.limited.push_back(p + location);
        for (PivotMark m : d.pivots) {
          for (int& p : m.tables) p += location;
          for (auto& [from, to] : m.subqueries) {
            from += location;
            to += location;
          }
          marks.pivots.push_back(std::move(m));
        }
        emit(d.text, again, location, length, &marks);
        rewritten_.replace(static_cast<size_t>(location), d.text.size(), d.text);
        return;
      }
    }
    all_parsed_ = false;
    if (d.alter_table && !d.name.empty()) {
      // ALTER TABLE t ADD PARTITION ... / ALTER DISTKEY ...: Redshift-only forms that
      // touch only the named table.
      StatementFacts st;
      st.kind = StatementKind::Alter;
      st.writes.push_back(resolve_table_name(d.name, ctx_, path_));
      st.location = location;
      st.length = length;
      facts_.statements.push_back(std::move(st));
      return;
    }
    if (!d.dataless_command.empty()) {
      StatementFacts st;
      const std::string& w = d.dataless_command;
      st.kind = w == "show" ? StatementKind::Show : (w == "grant" || w == "revoke") ? StatementKind::OtherDdl
                                                                                    : StatementKind::Utility;
      if (w == "vacuum") {
        // VACUUM ... TO 75 PERCENT, SORT ONLY, ...: the table named, or all of them.
        if (d.name.empty()) {
          st.any_schema = "VACUUM without a table processes every table of the database";
        } else {
          const TableRef t = resolve_table_name(d.name, ctx_, path_);
          st.objects.push_back(ObjectRef{"table", t.schema, t.name});
        }
      } else if (w == "grant" || w == "revoke") {
        unknown_targets(text, &tokens, &st);  // GRANT ... TO ROLE, ON ALL TABLES IN SCHEMA, ...
      }
      st.location = location;
      st.length = length;
      facts_.statements.push_back(std::move(st));
      return;
    }
    facts_.statements.push_back(unparsed(parsed.error.empty() ? whole_error : parsed.error,
                                         token_names(text, tokens, ctx_.case_sensitive_identifiers), location, length));
  }

  void emit(std::string_view text, const pg::ParseOutcome& parsed, int location, int length,
            const DialectMarks* marks) {
    for (size_t i = 0; i < parsed.tree->n_stmts; ++i) {
      StatementFacts st;
      walk(text, parsed.tree->stmts[i], location, marks, &st);
      st.location = location;
      st.length = length;
      facts_.statements.push_back(std::move(st));
    }
  }

  // The inner query of UNLOAD / CREATE EXTERNAL TABLE AS, analysed as its own text.
  // False when it could not be analysed (the caller then fails closed).
  bool inner(const std::string& query, StatementFacts* st, std::vector<std::string>* names) {
    AnalysisContext ctx = ctx_;
    ctx.search_path = path_;
    QueryFacts q = analyze_guarded(query, ctx);
    bool ok = !q.statements.empty();
    for (auto& s : q.statements) {
      if (s.kind == StatementKind::Unparsed) {
        ok = false;
        names->insert(names->end(), s.names.begin(), s.names.end());
        if (st->error.empty()) st->error = s.error;
      }
      // Their locations index the inner query, not this text (it sits in a string literal).
      for (auto& scan : s.scans) {
        scan.table.location = -1;
        scan.table.length = 0;
        st->scans.push_back(std::move(scan));
      }
      for (auto& w : s.writes) {
        w.location = -1;
        w.length = 0;
        st->writes.push_back(std::move(w));
      }
      st->calls.insert(st->calls.end(), s.calls.begin(), s.calls.end());
    }
    return ok;
  }

  void unload(const DialectRewrite& d, int location, int length, const std::string& text,
              const std::vector<pg::Token>& tokens) {
    StatementFacts st;
    std::vector<std::string> names;
    if (!inner(d.inner_query, &st, &names)) {
      auto outer = token_names(text, tokens, ctx_.case_sensitive_identifiers);
      names.insert(names.end(), outer.begin(), outer.end());
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      facts_.statements.push_back(unparsed(st.error.empty() ? "UNLOAD without a query" : "UNLOAD query: " + st.error,
                                           std::move(names), location, length));
      return;
    }
    st.kind = StatementKind::Unload;
    st.location = location;
    st.length = length;
    facts_.statements.push_back(std::move(st));
  }

  void create_external(const DialectRewrite& d, int location, int length, const std::string& text,
                       const std::vector<pg::Token>& tokens) {
    StatementFacts st;
    std::vector<std::string> names;
    if (!d.inner_query.empty() && !inner(d.inner_query, &st, &names)) {
      auto outer = token_names(text, tokens, ctx_.case_sensitive_identifiers);
      names.insert(names.end(), outer.begin(), outer.end());
      std::sort(names.begin(), names.end());
      names.erase(std::unique(names.begin(), names.end()), names.end());
      facts_.statements.push_back(unparsed("CREATE EXTERNAL TABLE query: " + st.error, std::move(names), location, length));
      return;
    }
    st.kind = StatementKind::CreateExternal;
    if (d.external_schema) {
      if (!d.name.empty()) st.objects.push_back(ObjectRef{"schema", d.name.back(), ""});
    } else if (!d.name.empty()) {
      st.writes.push_back(resolve_table_name(d.name, ctx_, path_));
    }
    st.location = location;
    st.length = length;
    facts_.statements.push_back(std::move(st));
  }

  const std::string& text_;
  const AnalysisContext& ctx_;
  std::vector<std::string> path_;
  QueryFacts facts_;
  std::string rewritten_;
  bool all_parsed_ = true;
};

struct ThreadJob {
  const std::string* text;
  const AnalysisContext* context;
  QueryFacts result;
};

void* run_job(void* arg) {
  auto* job = static_cast<ThreadJob*>(arg);
  job->result = TextAnalysis(*job->text, *job->context).run();
  return nullptr;
}

QueryFacts analyze_guarded(std::string_view sql, const AnalysisContext& context) {
  // The wire protocol cannot carry a NUL inside a query string; the server stops there too.
  const std::string text(sql.substr(0, sql.find('\0')));
  if (context.max_bytes != 0 && text.size() > context.max_bytes) {
    QueryFacts facts;
    facts.statements.push_back(unparsed("statement too large to analyse: " + std::to_string(text.size()) +
                                            " bytes, the limit is " + std::to_string(context.max_bytes),
                                        lex_names(text, context.case_sensitive_identifiers), 0, 0));
    return facts;
  }
  const int units = nesting_bound(text);
  if (units <= kInlineUnits) return TextAnalysis(text, context).run();
  QueryFacts facts;
  if (units <= kMaxUnits) {
    ThreadJob job{&text, &context, {}};
    pthread_attr_t attr;
    pthread_t thread;
    bool ran = false;
    if (pthread_attr_init(&attr) == 0) {
      if (pthread_attr_setstacksize(&attr, static_cast<size_t>(units) * kBytesPerUnit + kStackSlack) == 0 &&
          pthread_create(&thread, &attr, run_job, &job) == 0) {
        pthread_join(thread, nullptr);
        ran = true;
      }
      pthread_attr_destroy(&attr);
    }
    if (ran) return std::move(job.result);
    facts.statements.push_back(unparsed("could not start the analysis of a deeply nested statement",
                                        lex_names(text, context.case_sensitive_identifiers), 0, 0));
    return facts;
  }
  facts.statements.push_back(unparsed("statement too deeply nested to analyse",
                                      lex_names(text, context.case_sensitive_identifiers), 0, 0));
  return facts;
}

}  // namespace

QueryFacts analyze(std::string_view sql, const AnalysisContext& context) { return analyze_guarded(sql, context); }

}  // namespace blueshift::rewrite

// What the analysis of a client's Query or Parse text finds, on its session's I/O thread or
// off it (Conversation::Verdict::Analyse): the governor's check, and the text's SQL
// PREPARE/EXECUTE steps. Scanning those steps parses the whole text, so a long text's scan
// and the checks of its PREPARE bodies go off the thread with its analysis.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "policies/governor.h"
#include "rewrite/sql_prepared.h"

namespace blueshift::proxy {

struct TextAnalysis {
  // The check of the text, or of a lone PREPARE's body (then as a Parse of it).
  policies::Checked checked;
  std::shared_ptr<const rewrite::SqlPreparedText> steps;  // null: none
  // By step: the checks of PREPARE bodies already made (a lone PREPARE's is `checked`);
  // empty, or an unset entry: to be checked when its step is reached.
  std::vector<std::optional<policies::Checked>> prepares;
};

// The steps of a governed text that may hold any SQL PREPARE/EXECUTE (null: none).
[[nodiscard]] std::shared_ptr<const rewrite::SqlPreparedText> scan_sql_steps(std::string_view sql);

// The text's one statement when it is a PREPARE with a body: checked as a Parse of it.
[[nodiscard]] const rewrite::SqlPreparedStep* lone_prepare(const rewrite::SqlPreparedText* text);

// Analyses sql as a Query (parse_types null) or as a Parse with those types. With
// check_prepares, each PREPARE body of a Query's text is checked too, in order up to the
// first refusal (what the session would otherwise check on its thread).
[[nodiscard]] TextAnalysis analyse_text(policies::Governor& governor, std::string_view sql,
                                        const policies::SessionContext& session,
                                        const std::vector<uint32_t>* parse_types, bool check_prepares);

}  // namespace blueshift::proxy

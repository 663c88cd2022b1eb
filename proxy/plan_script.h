// A plan's steps as one simple Query (one multi-statement text), for the simple protocol:
// the server runs them back to back, with no message and ReadyForQuery between them, and
// after an error skips the rest of the text: a staged upsert's dozen statements cost the
// server one message instead of a dozen (tests/bench/README.md has the rows/s).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "rewrite/plan.h"

namespace blueshift::proxy {

// One statement of the text: its step, and where its text starts in the whole text (in
// characters, as the server counts an error's position).
struct ScriptStep {
  const rewrite::PlanStep* step = nullptr;
  int offset = 0;
};

struct PlanScript {
  std::string text;
  std::vector<ScriptStep> steps;
};

// The steps joined into one text, in order. Each ends with a line break before its `;`, so
// that a `--` comment the client's text ends with cannot swallow the separator.
[[nodiscard]] PlanScript plan_script(std::span<const rewrite::PlanStep* const> steps);

}  // namespace blueshift::proxy

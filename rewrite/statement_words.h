// The keywords the proxy's planners and SQL-step scan start from (MERGE, ON CONFLICT, COPY,
// PREPARE, EXECUTE, DEALLOCATE, DISCARD), found in one pass over a text: every simple
// Query and Parse is asked, and most name none of them.
//
// A word is as rewrite::Prefilter reads one (identifier runs in any case, a run after its
// leading digits too, and every word when an escape could spell one): a text whose
// statements hold the keyword always has the word, and a false answer is certain.
#pragma once

#include <cstdint>
#include <string_view>

namespace blueshift::rewrite {

using StatementWords = uint32_t;
inline constexpr StatementWords kWordMerge = 1u << 0;
inline constexpr StatementWords kWordConflict = 1u << 1;
inline constexpr StatementWords kWordCopy = 1u << 2;
inline constexpr StatementWords kWordPrepare = 1u << 3;
inline constexpr StatementWords kWordExecute = 1u << 4;
inline constexpr StatementWords kWordDeallocate = 1u << 5;
inline constexpr StatementWords kWordDiscard = 1u << 6;

// The words the text may hold.
[[nodiscard]] StatementWords statement_words(std::string_view sql);

}  // namespace blueshift::rewrite

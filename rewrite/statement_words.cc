#include "rewrite/statement_words.h"

#include <string>
#include <vector>

#include "rewrite/prefilter.h"

namespace blueshift::rewrite {

StatementWords statement_words(std::string_view sql) {
  // In the order of the kWord bits: name i of a Prefilter is bit i.
  static const Prefilter words(
      std::vector<std::string>{"merge", "conflict", "copy", "prepare", "execute", "deallocate", "discard"});
  return static_cast<StatementWords>(words.referenced(sql));
}

}  // namespace blueshift::rewrite

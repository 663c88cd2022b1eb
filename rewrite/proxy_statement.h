// Statements addressed to the proxy itself: SET, RESET and SHOW of `blueshift.*` names.
// Redshift would reject them, so the proxy answers them and they never reach the upstream.
//
// Recognised with the real parser, after a cheap case-insensitive look for the word
// "blueshift" that lets every other text through untouched.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace blueshift::rewrite {

inline constexpr std::string_view kProxySettingPrefix = "blueshift.";

struct ProxyStatement {
  enum class Action { Set, Reset, Show };
  Action action = Action::Show;
  std::string name;   // folded as the parser folds it: "blueshift.version"
  std::string value;  // Set: the value as text (a list is joined with ", "); "" for DEFAULT
  bool to_default = false;  // SET x TO DEFAULT (same as RESET)
};

struct ProxyStatementScan {
  enum class Kind {
    None,     // not addressed to the proxy: forward it
    Single,   // exactly one statement, addressed to the proxy: `statement`
    Mixed,    // a blueshift.* SET/SHOW/RESET among other statements, or a form the proxy
              // does not take (SET ... FROM CURRENT): refuse with `error`
  };
  Kind kind = Kind::None;
  ProxyStatement statement;
  std::string error;
};

// Cheap: returns None without parsing when the text does not contain "blueshift".
[[nodiscard]] ProxyStatementScan scan_proxy_statement(std::string_view sql);

}  // namespace blueshift::rewrite

// Client-supplied text (user, database, application_name, ...) as it may appear in a log
// line: a newline could forge a line of its own, raw bytes would reach whoever reads the log,
// and a space would run into the next field. Bytes outside printable ASCII, the space, '"'
// and '\' are written as \xNN, so a value stays one token and reads back unambiguously.
#pragma once

#include <string>
#include <string_view>

namespace blueshift::proxy {

[[nodiscard]] std::string log_text(std::string_view value);

}  // namespace blueshift::proxy

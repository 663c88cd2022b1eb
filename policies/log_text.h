// Client-supplied text (user, database, application_name, ...) as it may appear in a log
// line: a newline could forge a line of its own, raw bytes would reach whoever reads the log,
// and a space would run into the next field. Bytes outside printable ASCII, the space, '"'
// and '\' are written as \xNN, so a value stays one token and reads back unambiguously.
// Here rather than in proxy/, as the governor's own lines need it too.
#pragma once

#include <string>
#include <string_view>

namespace blueshift::policies {

[[nodiscard]] std::string log_text(std::string_view value);
// The same for free text at the end of a line (an error message that may quote what a
// client sent): spaces and quotes stay as they are, for the line to read as a sentence.
[[nodiscard]] std::string log_message(std::string_view value);

}  // namespace blueshift::policies

// Console command parsing; see console_command.h.
#include "proxy/console_command.h"

#include <cctype>
#include <charconv>
#include <utility>
#include <vector>

namespace blueshift::proxy {
namespace {

// The words of the text, upper-cased, with one trailing semicolon (and blanks) dropped.
std::vector<std::string> words(std::string_view text) {
  while (!text.empty() && (std::isspace(static_cast<unsigned char>(text.back())) || text.back() == ';'))
    text.remove_suffix(1);
  std::vector<std::string> out;
  std::string word;
  for (const char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty()) out.push_back(std::exchange(word, {}));
      continue;
    }
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (!word.empty()) out.push_back(word);
  return out;
}

ConsoleCommand unknown(std::string why) { return {ConsoleCommand::Kind::Unknown, 0, std::move(why)}; }

ConsoleCommand kill(const std::vector<std::string>& w) {
  if (w.size() != 2) return unknown("KILL takes one client id (the id column of SHOW CLIENTS)");
  uint64_t id = 0;
  const auto [end, ec] = std::from_chars(w[1].data(), w[1].data() + w[1].size(), id);
  if (ec != std::errc() || end != w[1].data() + w[1].size() || id == 0)
    return unknown("KILL: '" + w[1] + "' is not a client id (the id column of SHOW CLIENTS)");
  return {ConsoleCommand::Kind::Kill, id, {}};
}

}  // namespace

ConsoleCommand parse_console_command(std::string_view text) {
  using Kind = ConsoleCommand::Kind;
  const std::vector<std::string> w = words(text);
  if (w.empty()) return {Kind::Empty, 0, {}};
  if (w[0] == "KILL") return kill(w);
  if (w.size() == 1) {
    if (w[0] == "RELOAD") return {Kind::Reload, 0, {}};
    if (w[0] == "PAUSE") return {Kind::Pause, 0, {}};
    if (w[0] == "RESUME") return {Kind::Resume, 0, {}};
    if (w[0] == "SHUTDOWN") return {Kind::Shutdown, 0, {}};
  }
  if (w.size() == 2 && w[0] == "SHOW") {
    static const std::pair<const char*, Kind> shows[] = {
        {"STATS", Kind::ShowStats},   {"CLIENTS", Kind::ShowClients}, {"SERVERS", Kind::ShowServers},
        {"RULES", Kind::ShowRules},   {"CONFIG", Kind::ShowConfig},   {"VERSION", Kind::ShowVersion},
    };
    for (const auto& [name, kind] : shows) {
      if (w[1] == name) return {kind, 0, {}};
    }
  }
  return unknown("the admin console does not run SQL or this command");
}

}  // namespace blueshift::proxy

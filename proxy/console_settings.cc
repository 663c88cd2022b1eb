// The console section; see console_settings.h.
#include "proxy/console_settings.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "proxy/console_auth.h"

namespace blueshift::proxy {
namespace {

constexpr int kScramIterations = 4096;  // PostgreSQL's scram_iterations default
constexpr size_t kSaltBytes = 16;

[[noreturn]] void fail(const std::string& key, const std::string& why) {
  throw std::runtime_error("config key '" + key + "': " + why);
}

// The password of a user given by password_env or password_file (one line, the newline cut).
std::string read_password(const YAML::Node& entry, const std::string& path) {
  if (entry["password_env"]) {
    const std::string name = entry["password_env"].as<std::string>();
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') fail(path + "password_env", "the variable " + name + " is not set");
    return value;
  }
  const std::string file = entry["password_file"].as<std::string>();
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) fail(path + "password_file", "cannot read '" + file + "'");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) fail(path + "password_file", "'" + file + "' holds an empty password");
  return line;
}

ConsoleUser parse_user(const YAML::Node& entry, const std::string& path) {
  if (!entry.IsMap()) fail(path.substr(0, path.size() - 1), "must be a mapping {name, scram | md5 | password_env | password_file}");
  static const std::set<std::string> known = {"name", "scram", "md5", "password_env", "password_file"};
  int sources = 0;
  for (const auto& kv : entry) {
    const std::string key = kv.first.as<std::string>();
    if (!known.count(key)) fail(path + key, "unknown key");
    sources += key != "name";
  }
  ConsoleUser user;
  if (!entry["name"] || entry["name"].as<std::string>().empty()) fail(path + "name", "is required");
  user.name = entry["name"].as<std::string>();
  if (sources != 1) fail(path.substr(0, path.size() - 1), "give exactly one of scram, md5, password_env, password_file");
  if (entry["scram"]) {
    user.scram = parse_scram_verifier(entry["scram"].as<std::string>());
    if (!user.scram) fail(path + "scram", "not a SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey verifier");
  } else if (entry["md5"]) {
    user.md5 = entry["md5"].as<std::string>();
    const bool hex = user.md5.size() == 35 && user.md5.rfind("md5", 0) == 0 &&
                     user.md5.find_first_not_of("0123456789abcdef", 3) == std::string::npos;
    if (!hex) fail(path + "md5", "not 'md5' followed by 32 lower-case hex digits");
  } else {
    user.scram = make_scram_verifier(read_password(entry, path));
  }
  return user;
}

int parse_pause_timeout(const YAML::Node& node) {
  if (!node) return ConsoleSettings{}.pause_timeout_ms;
  try {
    const int ms = node.as<int>();
    if (ms < 0) fail("console.pause_timeout_ms", "must be 0 (no limit) or more");
    return ms;
  } catch (const YAML::Exception&) {
    fail("console.pause_timeout_ms", "must be a whole number of milliseconds");
  }
  return 0;
}

}  // namespace

const ConsoleUser* ConsoleSettings::find(std::string_view name) const {
  for (const ConsoleUser& u : users) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

ConsoleSettings parse_console_settings(const YAML::Node& node) {
  ConsoleSettings settings;
  if (!node || node.IsNull()) return settings;
  if (!node.IsMap()) fail("console", "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key != "users" && key != "pause_timeout_ms") fail("console." + key, "unknown key");
  }
  settings.pause_timeout_ms = parse_pause_timeout(node["pause_timeout_ms"]);
  const YAML::Node users = node["users"];
  if (!users || users.IsNull()) return settings;
  if (!users.IsSequence()) fail("console.users", "must be a list");
  std::set<std::string> names;
  try {
    for (size_t i = 0; i < users.size(); ++i) {
      const std::string path = "console.users[" + std::to_string(i) + "].";
      settings.users.push_back(parse_user(users[i], path));
      if (!names.insert(settings.users.back().name).second) fail(path + "name", "listed twice");
    }
  } catch (const YAML::Exception& e) {
    fail("console.users", std::string("cannot read: ") + e.what());
  }
  return settings;
}

std::optional<ScramVerifier> parse_scram_verifier(std::string_view text) {
  constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  const size_t colon = text.find(':');
  const size_t dollar = text.find('$');
  const size_t colon2 = text.find(':', dollar == std::string_view::npos ? text.size() : dollar);
  if (colon == std::string_view::npos || dollar == std::string_view::npos || colon2 == std::string_view::npos ||
      colon > dollar)
    return std::nullopt;
  ScramVerifier v;
  const std::string iterations(text.substr(0, colon));
  if (iterations.empty() || iterations.find_first_not_of("0123456789") != std::string::npos || iterations.size() > 7)
    return std::nullopt;
  v.iterations = std::stoi(iterations);
  if (v.iterations <= 0 || !absl::Base64Unescape(absl_view(text.substr(colon + 1, dollar - colon - 1)), &v.salt) ||
      !absl::Base64Unescape(absl_view(text.substr(dollar + 1, colon2 - dollar - 1)), &v.stored_key) ||
      !absl::Base64Unescape(absl_view(text.substr(colon2 + 1)), &v.server_key) || v.salt.empty() ||
      v.stored_key.size() != 32 || v.server_key.size() != 32)
    return std::nullopt;
  return v;
}

ScramVerifier make_scram_verifier(std::string_view password) {
  ScramVerifier v;
  v.iterations = kScramIterations;
  v.salt = random_nonce().substr(0, kSaltBytes);
  unsigned char salted[32];
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(v.salt.data()), static_cast<int>(v.salt.size()),
                    v.iterations, EVP_sha256(), sizeof salted, salted);
  const std::string_view key(reinterpret_cast<const char*>(salted), sizeof salted);
  v.stored_key = scram_sha256(scram_hmac(key, "Client Key"));
  v.server_key = scram_hmac(key, "Server Key");
  return v;
}

}  // namespace blueshift::proxy

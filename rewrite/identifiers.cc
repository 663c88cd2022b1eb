#include "rewrite/identifiers.h"

#include <cstdint>

namespace blueshift::rewrite {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

std::string fold_parsed(std::string_view name, bool case_sensitive) {
  return case_sensitive ? std::string(name) : ascii_lower(name);
}

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes \XXXX and \+XXXXXX escapes of a U&"..." body when they denote ASCII.
std::string decode_unicode_escapes(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\') {
      out += body[i];
      continue;
    }
    if (i + 1 < body.size() && body[i + 1] == '\\') {
      out += '\\';
      ++i;
      continue;
    }
    size_t digits = 4, start = i + 1;
    if (start < body.size() && body[start] == '+') {
      digits = 6;
      ++start;
    }
    if (start + digits > body.size()) {
      out += body[i];
      continue;
    }
    uint32_t cp = 0;
    bool ok = true;
    for (size_t k = 0; k < digits; ++k) {
      const int h = hex_value(body[start + k]);
      if (h < 0) {
        ok = false;
        break;
      }
      cp = cp * 16 + static_cast<uint32_t>(h);
    }
    if (!ok || cp == 0 || cp > 0x7f) {
      out += body[i];
      continue;
    }
    out += static_cast<char>(cp);
    i = start + digits - 1;
  }
  return out;
}

}  // namespace

std::string fold_written(std::string_view token, bool case_sensitive) {
  bool unicode = false;
  if (token.size() >= 3 && (token[0] == 'U' || token[0] == 'u') && token[1] == '&' && token[2] == '"') {
    unicode = true;
    token.remove_prefix(2);
  }
  if (token.size() >= 2 && token.front() == '"') {
    std::string_view body = token.substr(1, token.size() - (token.back() == '"' ? 2 : 1));
    std::string out;
    out.reserve(body.size());
    for (size_t i = 0; i < body.size(); ++i) {
      out += body[i];
      if (body[i] == '"' && i + 1 < body.size() && body[i + 1] == '"') ++i;
    }
    if (unicode) out = decode_unicode_escapes(out);
    return case_sensitive ? out : ascii_lower(out);
  }
  return ascii_lower(token);
}

namespace {

// Reads the dotted name written at `offset` (see written_name_at); returns the byte just
// past its last part, and each part as written in *parts when parts is not null.
size_t scan_written_name(std::string_view text, size_t offset, std::vector<std::string_view>* parts) {
  size_t i = offset;
  size_t end = offset;
  auto start = [](unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80; };
  auto cont = [&](unsigned char c) { return start(c) || (c >= '0' && c <= '9') || c == '$'; };
  auto space = [&]() {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
  };
  while (i < text.size()) {
    const size_t from = i;
    if (text[i] == '"') {
      ++i;
      while (i < text.size()) {
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
    } else if (start(static_cast<unsigned char>(text[i]))) {
      while (i < text.size() && cont(static_cast<unsigned char>(text[i]))) ++i;
    } else {
      break;
    }
    end = i;
    if (parts != nullptr) parts->push_back(text.substr(from, i - from));
    space();
    if (i >= text.size() || text[i] != '.') break;
    ++i;
    space();
  }
  return end;
}

}  // namespace

std::vector<std::string> written_name_at(std::string_view text, int offset, bool case_sensitive) {
  std::vector<std::string> parts;
  if (offset < 0 || static_cast<size_t>(offset) >= text.size()) return parts;
  std::vector<std::string_view> written;
  (void)scan_written_name(text, static_cast<size_t>(offset), &written);
  parts.reserve(written.size());
  for (auto w : written) parts.push_back(fold_written(w, case_sensitive));
  return parts;
}

int written_name_length(std::string_view text, int offset) {
  if (offset < 0 || static_cast<size_t>(offset) >= text.size()) return 0;
  return static_cast<int>(scan_written_name(text, static_cast<size_t>(offset), nullptr)) - offset;
}

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// The end of the quoted name starting at text[i] == '"': just past its closing quote,
// or the end of the text.
size_t quoted_end(std::string_view text, size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] != '"') continue;
    if (i + 1 < text.size() && text[i + 1] == '"') {
      ++i;
      continue;
    }
    return i + 1;
  }
  return text.size();
}

// One entry of a search_path list, without its comma.
std::string search_path_entry(std::string_view entry) {
  while (!entry.empty() && is_space(entry.front())) entry.remove_prefix(1);
  while (!entry.empty() && is_space(entry.back())) entry.remove_suffix(1);
  if (entry.empty() || entry.front() != '"') return ascii_lower(entry);
  const size_t end = quoted_end(entry, 0);
  if (end == 1) return {};  // a lone quote at the end of the text
  std::string name = fold_written(entry.substr(0, end), /*case_sensitive=*/true);
  // After the closing quote the server shows nothing but the comma; keep what is there.
  for (char c : entry.substr(end)) {
    if (!is_space(c)) name += c;
  }
  return name;
}

}  // namespace

std::vector<std::string> parse_search_path(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  size_t i = 0;
  while (i <= text.size()) {
    if (i < text.size() && text[i] == '"') {
      i = quoted_end(text, i);
      continue;
    }
    if (i == text.size() || text[i] == ',') {
      std::string name = search_path_entry(text.substr(start, i - start));
      if (!name.empty()) out.push_back(std::move(name));
      start = i + 1;
    }
    ++i;
  }
  return out;
}

std::string quote_identifier(std::string_view name) {
  // Always quoted: cheaper than knowing every reserved word, and always correct.
  std::string out = "\"";
  for (char c : name) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

}  // namespace blueshift::rewrite

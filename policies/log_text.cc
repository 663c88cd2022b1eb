#include "policies/log_text.h"

namespace blueshift::policies {

namespace {

// value with every byte outside [lowest, 0x7e], and '\\' (and '"' unless quotes_kept), as \xNN.
std::string escaped(std::string_view value, unsigned char lowest, bool quotes_kept) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const auto byte = static_cast<unsigned char>(ch);
    if (byte >= lowest && byte < 0x7f && (byte != '"' || quotes_kept) && byte != '\\') {
      out.push_back(ch);
      continue;
    }
    out += "\\x";
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

}  // namespace

std::string log_text(std::string_view value) { return escaped(value, 0x21, false); }

std::string log_message(std::string_view value) { return escaped(value, 0x20, true); }

}  // namespace blueshift::policies

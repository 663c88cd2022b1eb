#include "rewrite/array_value.h"

namespace blueshift::rewrite {
namespace {

constexpr int kMaxDimensions = 6;  // PostgreSQL's MAXDIM

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

bool is_null_word(std::string_view s) {
  if (s.size() != 4) return false;
  const char* w = "null";
  for (size_t i = 0; i < 4; ++i) {
    if ((s[i] | 0x20) != w[i]) return false;
  }
  return true;
}

// array_in's scanner over one literal. Positions only move forward; every read checks
// the end first.
class TextArray {
 public:
  explicit TextArray(std::string_view s) : s_(s) {}

  std::optional<ArrayElements> parse() {
    skip_space();
    if (peek() == '[' && !dimensions()) return std::nullopt;
    if (peek() != '{') return std::nullopt;
    if (!array(1)) return std::nullopt;
    skip_space();
    if (i_ != s_.size()) return std::nullopt;
    return std::move(out_);
  }

 private:
  [[nodiscard]] char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  [[nodiscard]] bool at_end() const { return i_ >= s_.size(); }
  void skip_space() {
    while (!at_end() && is_space(s_[i_])) ++i_;
  }

  bool integer() {
    if (peek() == '+' || peek() == '-') ++i_;
    const size_t start = i_;
    while (!at_end() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    return i_ > start;
  }

  // "[lo:hi][lo:hi]=": checked for shape only; the braces that follow carry the elements.
  bool dimensions() {
    int n = 0;
    while (peek() == '[') {
      if (++n > kMaxDimensions) return false;
      ++i_;
      skip_space();
      if (!integer()) return false;
      skip_space();
      if (peek() == ':') {
        ++i_;
        skip_space();
        if (!integer()) return false;
        skip_space();
      }
      if (peek() != ']') return false;
      ++i_;
      skip_space();
    }
    if (peek() != '=') return false;
    ++i_;
    skip_space();
    return true;
  }

  // At '{'. Every leaf must sit at the same depth, as in a rectangular array.
  bool array(int depth) {
    if (depth > kMaxDimensions) return false;
    ++i_;  // '{'
    skip_space();
    if (peek() == '}') {
      ++i_;
      return depth == 1 || leaf_depth_ == 0 || leaf_depth_ == depth;  // "{}": an empty array
    }
    for (;;) {
      skip_space();
      if (peek() == '{') {
        if (!array(depth + 1)) return false;
      } else if (!element(depth)) {
        return false;
      }
      skip_space();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() == '}') {
        ++i_;
        return true;
      }
      return false;
    }
  }

  bool element(int depth) {
    if (leaf_depth_ == 0) leaf_depth_ = depth;
    if (leaf_depth_ != depth) return false;
    if (out_.size() >= kMaxArrayElements) return false;
    std::string text;
    if (peek() == '"') {
      ++i_;
      for (;;) {
        if (at_end()) return false;
        const char c = s_[i_++];
        if (c == '"') break;
        if (c == '\\') {
          if (at_end()) return false;
          text += s_[i_++];
        } else {
          text += c;
        }
      }
      out_.emplace_back(std::move(text));
      return true;
    }
    bool escaped = false;
    size_t kept = 0;  // length of text up to its last character that is not bare white space
    for (;;) {
      if (at_end()) return false;
      const char c = s_[i_];
      if (c == ',' || c == '}') break;
      if (c == '{' || c == '"') return false;
      ++i_;
      if (c == '\\') {
        if (at_end()) return false;
        text += s_[i_++];
        escaped = true;
        kept = text.size();
      } else {
        text += c;
        if (!is_space(c)) kept = text.size();
      }
    }
    text.resize(kept);
    if (text.empty() && !escaped) return false;  // "{1,,2}"
    if (!escaped && is_null_word(text)) {
      out_.emplace_back(std::nullopt);
    } else {
      out_.emplace_back(std::move(text));
    }
    return true;
  }

  std::string_view s_;
  size_t i_ = 0;
  int leaf_depth_ = 0;
  ArrayElements out_;
};

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  [[nodiscard]] std::optional<int32_t> int32() {
    if (s_.size() - i_ < 4) return std::nullopt;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) v = (v << 8) | static_cast<unsigned char>(s_[i_++]);
    return static_cast<int32_t>(v);
  }
  [[nodiscard]] std::optional<std::string> bytes(size_t n) {
    if (s_.size() - i_ < n) return std::nullopt;
    std::string out(s_.substr(i_, n));
    i_ += n;
    return out;
  }
  [[nodiscard]] bool done() const { return i_ == s_.size(); }

 private:
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::optional<ArrayElements> parse_array_text(std::string_view text) { return TextArray(text).parse(); }

std::optional<BinaryArray> parse_array_binary(std::string_view bytes) {
  Reader r(bytes);
  const auto ndim = r.int32();
  const auto flags = r.int32();
  const auto element_type = r.int32();
  if (!ndim || !flags || !element_type || *ndim < 0 || *ndim > kMaxDimensions || (*flags != 0 && *flags != 1)) {
    return std::nullopt;
  }
  BinaryArray out;
  out.element_type = static_cast<uint32_t>(*element_type);
  size_t count = *ndim == 0 ? 0 : 1;
  for (int d = 0; d < *ndim; ++d) {
    const auto size = r.int32();
    const auto lower = r.int32();
    if (!size || !lower || *size < 0) return std::nullopt;
    count *= static_cast<size_t>(*size);
    if (count > kMaxArrayElements) return std::nullopt;
  }
  out.elements.reserve(count);
  for (size_t k = 0; k < count; ++k) {
    const auto len = r.int32();
    if (!len || *len < -1) return std::nullopt;
    if (*len == -1) {
      out.elements.emplace_back(std::nullopt);
      continue;
    }
    auto element = r.bytes(static_cast<size_t>(*len));
    if (!element) return std::nullopt;
    out.elements.emplace_back(std::move(*element));
  }
  if (!r.done()) return std::nullopt;
  return out;
}

uint32_t array_element_type(uint32_t array_type) {
  switch (array_type) {
    case 1000: return 16;     // bool[]
    case 1002: return 18;     // "char"[]
    case 1003: return 19;     // name[]
    case 1005: return 21;     // int2[]
    case 1007: return 23;     // int4[]
    case 1009: return 25;     // text[]
    case 1014: return 1042;   // bpchar[]
    case 1015: return 1043;   // varchar[]
    case 1016: return 20;     // int8[]
    case 1021: return 700;    // float4[]
    case 1022: return 701;    // float8[]
    case 1028: return 26;     // oid[]
    case 1182: return 1082;   // date[]
    case 1231: return 1700;   // numeric[]
    default: return 0;
  }
}

}  // namespace blueshift::rewrite

// Shared by the protocol fuzz targets: a failed invariant prints what broke and aborts,
// so libFuzzer (or the standalone driver under ctest) reports the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace blueshift::protocol::fuzz {

inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "protocol fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

inline std::string_view as_view(std::span<const uint8_t> s) {
  return {reinterpret_cast<const char*>(s.data()), s.size()};
}

inline std::span<const uint8_t> as_span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A helper parser that succeeded must re-encode to exactly the bytes it read.
template <class Parse, class Encode>
void check_exact(std::string_view bytes, Parse parse, Encode encode_fn, const char* what) {
  auto parsed = parse(bytes);
  if (parsed.ok()) check(encode_fn(*parsed) == bytes, what);
}

}  // namespace blueshift::protocol::fuzz

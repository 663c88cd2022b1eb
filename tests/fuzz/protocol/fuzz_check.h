// Shared by the protocol fuzz targets: a failed invariant prints what broke and aborts,
// so libFuzzer (or the standalone driver under ctest) reports the input as a crash.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "protocol/codec.h"

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

// Walks the frames of a byte stream with decode_frame, checking the framing invariants,
// and calls on_frame(frame, its bytes) for each whole one.
template <class OnFrame>
void for_each_frame(std::span<const uint8_t> rest, OnFrame on_frame) {
  for (;;) {
    Frame f;
    std::string error;
    const DecodeStatus status = decode_frame(rest, kDefaultMaxMessageSize, &f, &error);
    if (status == DecodeStatus::Error) {
      check(!error.empty(), "framing error without a reason");
      return;
    }
    if (status == DecodeStatus::NeedMoreData) {
      check(f.body.empty() && (f.size == 0 || f.size > rest.size()), "NeedMoreData with a complete frame");
      return;
    }
    check(f.size >= kHeaderSize && f.size <= rest.size() && f.body.size() == f.size - kHeaderSize,
          "frame size out of bounds");
    on_frame(f, as_view(rest.first(f.size)));
    rest = rest.subspan(f.size);
  }
}

}  // namespace blueshift::protocol::fuzz

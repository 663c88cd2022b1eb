// Internal to protocol/: turns a message variant plus a "Bodies" class (per-type body
// read/write/name) into decode-by-code, encode and code_of. The code -> type table is
// built at compile time from each struct's kCode, so there is one table of codes and a
// duplicate code in a variant fails to compile. The one alternative without kCode is
// the Unknown* catch-all, which carries its own code.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "absl/status/statusor.h"
#include "protocol/cursor.h"
#include "protocol/writer.h"

namespace blueshift::protocol::internal {

template <class T>
concept HasCode = requires {
  { T::kCode } -> std::convertible_to<char>;
};

template <class V>
struct CodeTable;

template <class... Ts>
struct CodeTable<std::variant<Ts...>> {
  // kIndex[code byte] = variant index of the type with that kCode, or -1.
  static constexpr std::array<int16_t, 256> kIndex = [] {
    std::array<int16_t, 256> t{};
    t.fill(-1);
    int16_t i = 0;
    auto add = [&]<class T>() {
      if constexpr (HasCode<T>) t[static_cast<uint8_t>(T::kCode)] = i;
      ++i;
    };
    (add.template operator()<Ts>(), ...);
    return t;
  }();
  static constexpr bool kCodesUnique = [] {
    std::array<int, 256> seen{};
    bool unique = true;
    auto add = [&]<class T>() {
      if constexpr (HasCode<T>) unique = unique && seen[static_cast<uint8_t>(T::kCode)]++ == 0;
    };
    (add.template operator()<Ts>(), ...);
    return unique;
  }();
  static constexpr size_t kUncoded = (0 + ... + (HasCode<Ts> ? 0 : 1));
  static_assert(kCodesUnique, "two message types in one direction share a kCode");
  static_assert(kUncoded == 1, "exactly one catch-all (Unknown*) alternative expected");
};

template <class V, class Bodies, class Options, size_t I>
absl::StatusOr<V> decode_as(std::span<const uint8_t> body, const Options& options) {
  using T = std::variant_alternative_t<I, V>;
  if constexpr (!HasCode<T>) {
    return absl::InternalError("catch-all message type has no decoder");
  } else {
    absl::StatusOr<V> out(absl::in_place, std::in_place_index<I>);
    Cursor c(body, Bodies::name(static_cast<const T*>(nullptr)));
    if (!Bodies::read(c, std::get<I>(*out), options) || !c.finish()) return c.status();
    return out;
  }
}

// Decodes body as the type whose kCode is code; any other code becomes Unknown{code, body}.
template <class V, class Bodies, class Unknown, class Options>
absl::StatusOr<V> decode_by_code(char code, std::span<const uint8_t> body, const Options& options) {
  using Fn = absl::StatusOr<V> (*)(std::span<const uint8_t>, const Options&);
  static constexpr auto kDecoders = []<size_t... I>(std::index_sequence<I...>) {
    return std::array<Fn, sizeof...(I)>{&decode_as<V, Bodies, Options, I>...};
  }(std::make_index_sequence<std::variant_size_v<V>>());
  const int16_t index = CodeTable<V>::kIndex[static_cast<uint8_t>(code)];
  if (index < 0) {
    return V(Unknown{code, std::string(reinterpret_cast<const char*>(body.data()), body.size())});
  }
  return kDecoders[static_cast<size_t>(index)](body, options);
}

template <class Bodies, class V, class Options>
void encode_variant(const V& message, std::string& out, const Options& options) {
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        MessageWriter w(out);
        if constexpr (HasCode<T>) {
          w.begin(T::kCode);
          Bodies::write(w, m, options);
        } else {
          w.begin(m.code);
          w.bytes(m.payload);
        }
        w.end();
      },
      message);
}

template <class V>
char code_of_variant(const V& message) {
  return std::visit(
      [](const auto& m) -> char {
        using T = std::decay_t<decltype(m)>;
        if constexpr (HasCode<T>) {
          return T::kCode;
        } else {
          return m.code;
        }
      },
      message);
}

}  // namespace blueshift::protocol::internal

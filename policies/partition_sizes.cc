#include "policies/partition_sizes.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"

namespace blueshift::policies {

std::string normalize_location(std::string_view location) {
  std::string out(location);
  if (out.empty() || out.back() != '/') out += '/';
  return out;
}

void PartitionSizes::add(std::string_view location, int64_t bytes) {
  by_location_[normalize_location(location)] += bytes;
}

std::optional<int64_t> PartitionSizes::bytes(std::string_view location) const {
  if (location.empty()) return std::nullopt;
  const auto it = by_location_.find(normalize_location(location));
  if (it == by_location_.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<PartitionSizes> parse_partition_sizes(std::string_view text) {
  PartitionSizes out;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const size_t comma = line.rfind(',');
    const std::string_view location = comma == std::string_view::npos ? std::string_view() : line.substr(0, comma);
    const std::string_view number = comma == std::string_view::npos ? std::string_view() : line.substr(comma + 1);
    int64_t bytes = -1;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), bytes);
    if (location.empty() || ec != std::errc() || end != number.data() + number.size() || bytes < 0) {
      return absl::InvalidArgumentError("partition sizes line " + std::to_string(line_no) +
                                        ": expected <location>,<bytes>; got \"" + std::string(line.substr(0, 120)) + "\"");
    }
    out.add(location, bytes);
  }
  return out;
}

absl::StatusOr<PartitionSizes> read_partition_sizes_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError("cannot read partition sizes file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  auto sizes = parse_partition_sizes(text.str());
  if (!sizes.ok()) return absl::InvalidArgumentError(path + ": " + std::string(sizes.status().message()));
  return sizes;
}

}  // namespace blueshift::policies

// How many bytes each external partition holds: the statistics pricing multiplies by.
//
// Sources (policies.cost.sizes in config):
//   - a file, one partition a line: `<location>,<bytes>`, e.g.
//       s3://lake/sales/year=2024/month=01/,1048576
//     `#` starts a comment line; blank lines are skipped; the bytes are the text after the
//     line's last comma (S3 keys may hold commas). deploy/partition_sizes_from_inventory.py
//     makes such a file from an S3 Inventory report (the sizes of the objects under each
//     partition folder, summed).
//   - the warehouse's own view of its files: the dev warehouse's
//     blueshift_external_partition_files (size_bytes per file, summed by location).
// Locations compare with a trailing '/', so `s3://b/p` and `s3://b/p/` are one partition.
// A location with no entry is unknown, never zero: pricing then assumes a configured size
// and says so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"

namespace blueshift::policies {

class PartitionSizes {
 public:
  // Adds bytes to a location (files of one partition add up).
  void add(std::string_view location, int64_t bytes);
  // nullopt when the location has no entry.
  [[nodiscard]] std::optional<int64_t> bytes(std::string_view location) const;
  [[nodiscard]] size_t size() const { return by_location_.size(); }

 private:
  std::unordered_map<std::string, int64_t> by_location_;
};

// `s3://b/p` -> `s3://b/p/`.
[[nodiscard]] std::string normalize_location(std::string_view location);

// The file format above; an error names the line.
[[nodiscard]] absl::StatusOr<PartitionSizes> parse_partition_sizes(std::string_view text);
[[nodiscard]] absl::StatusOr<PartitionSizes> read_partition_sizes_file(const std::string& path);

}  // namespace blueshift::policies

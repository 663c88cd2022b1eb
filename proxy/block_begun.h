// Whether the client's own BEGIN ran earlier in the extended-protocol batch being sent (issue
// 12). pgjdbc without autocommit and psycopg outside autocommit send BEGIN in the same
// pipeline as the statements after it (Parse/Bind/Execute, no Sync between), so the
// ReadyForQuery that would say "in a block" comes only after the batch; a folded upsert run
// after that BEGIN is nonetheless in a block, where a savepoint of the proxy's can undo the
// run alone (proxy/upsert_batch.h). Follows the names: a Parse of BEGIN / START, a Bind of
// that statement, an Execute of that portal. Another transaction-control statement executed
// after it, or the end of the batch, forgets it: then the batch is not known to be in a block.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/codec.h"

namespace blueshift::proxy {

class BlockBegun {
 public:
  // A client message that went upstream (in order; Sync and Query end the batch).
  void note(const protocol::Frame& f);
  // A BEGIN ran in this batch, and nothing after it ended the block.
  [[nodiscard]] bool begun() const { return begun_; }

  enum class Kind : uint8_t { Other, Begin, End };
  // The transaction control a statement text is, by its first keyword.
  [[nodiscard]] static Kind kind_of(std::string_view sql);

 private:
  Kind find(const std::vector<std::pair<std::string, Kind>>& names, std::string_view name) const;
  static void set(std::vector<std::pair<std::string, Kind>>& names, std::string_view name, Kind kind);

  // Statements and portals that are BEGIN or END-like (rarely more than one each).
  std::vector<std::pair<std::string, Kind>> statements_;
  std::vector<std::pair<std::string, Kind>> portals_;
  bool begun_ = false;
};

}  // namespace blueshift::proxy

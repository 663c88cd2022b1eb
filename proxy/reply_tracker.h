// Which upstream reply belongs to which client request.
//
// The proxy forwards client messages as received, but sometimes sends a different message
// in place of one (a refused statement becomes a message that makes the server fail at
// once, so the server's transaction state stays true) and must then replace the server's
// error with its own, or add a notice to a batch. The server answers in order: every
// Sync, Query and FunctionCall ends a batch with one ReadyForQuery, and in the extended
// protocol every Parse/Bind/Describe/Execute/Close that succeeds produces one completion
// message before the next starts. Counting both on each side pairs a reply with its
// request without guessing from message text. Asio-free so it is unit-tested alone.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace blueshift::proxy {

class ReplyTracker {
 public:
  // ---- client -> server side, in the order messages are written upstream.
  // Call for every message written upstream (including substitutes), with its code.
  void on_forward(char code);
  // The next message forwarded is a substitute: when the server's ErrorResponse for it
  // arrives, the client gets error_bytes instead. If an earlier message of the same batch
  // fails first, the server skips the substitute, and so is the replacement.
  void substitute_next(std::string error_bytes);
  // Bytes (NoticeResponse) to send the client before the ReadyForQuery that ends the
  // batch the next forwarded message belongs to.
  void notice_next(std::string notice_bytes);

  // ---- server -> client side, for every message the server sends after login.
  enum class Action { Forward, Replace };
  // For ErrorResponse: Replace means send *out instead of the server's bytes. For
  // ReadyForQuery: anything in *out goes to the client before it. Otherwise Forward.
  [[nodiscard]] Action on_backend(char code, std::string* out);

  // True while some batch sent upstream has not had its ReadyForQuery yet.
  [[nodiscard]] bool awaiting_reply() const { return batches_seen_ < batches_sent_; }

 private:
  struct Pending {
    uint64_t batch = 0;                 // which ReadyForQuery closes it
    uint32_t completions_before = 0;    // substitute: completions expected before its error
    bool is_substitute = false;
    bool resolved = false;
    std::string bytes;
  };
  // client side
  uint64_t batches_sent_ = 0;           // batches closed by messages forwarded so far
  uint32_t completions_sent_ = 0;       // completion-producing messages in the open batch
  // server side
  uint64_t batches_seen_ = 0;           // ReadyForQuery messages seen
  uint32_t completions_seen_ = 0;       // completions seen in the current batch
  std::vector<Pending> pending_;  // rarely non-empty: a vector allocates nothing until used
};

}  // namespace blueshift::proxy

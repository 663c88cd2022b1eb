// Which upstream request a server reply answers, by counting, never by guessing from text.
//
// The server answers in order: every Sync, Query and FunctionCall ends a batch with one
// ReadyForQuery, and every Parse/Bind/Describe/Execute/Close that succeeds produces one
// completion message before the next starts; after an error the rest of the batch is
// skipped. So a request's position is (batch, completions before it in that batch), and
// a reply belongs to the position of the completions the server has sent so far. Counting
// both sides costs two increments a message: the fast path keeps nothing per request.
#pragma once

#include <cstdint>

#include "protocol/messages.h"

namespace blueshift::proxy {

struct ReplyPosition {
  uint64_t batch = 0;
  uint32_t completion = 0;
  friend bool operator==(const ReplyPosition&, const ReplyPosition&) = default;
};

class ReplyPositions {
 public:
  // Frontend messages after which the server sends ReadyForQuery.
  static constexpr bool ends_batch(char code) {
    return code == protocol::Sync::kCode || code == protocol::Query::kCode || code == protocol::FunctionCall::kCode;
  }
  // Frontend messages that, when they succeed, produce exactly one completion message.
  static constexpr bool expects_completion(char code) {
    return code == protocol::Parse::kCode || code == protocol::Bind::kCode || code == protocol::Describe::kCode ||
           code == protocol::Execute::kCode || code == protocol::Close::kCode;
  }
  // Backend completions of those: ParseComplete, BindComplete, CloseComplete, the
  // RowDescription/NoData ending a Describe, CommandComplete/EmptyQueryResponse/
  // PortalSuspended ending an Execute.
  static constexpr bool is_completion(char code) {
    switch (code) {
      case protocol::ParseComplete::kCode:
      case protocol::BindComplete::kCode:
      case protocol::CloseComplete::kCode:
      case protocol::RowDescription::kCode:
      case protocol::NoData::kCode:
      case protocol::CommandComplete::kCode:
      case protocol::EmptyQueryResponse::kCode:
      case protocol::PortalSuspended::kCode:
        return true;
      default:
        return false;
    }
  }

  // Client side: a message written upstream; returns its position.
  ReplyPosition on_forward(char code) {
    const ReplyPosition at{batches_sent_, completions_sent_};
    if (ends_batch(code)) {
      ++batches_sent_;
      completions_sent_ = 0;
    } else if (expects_completion(code)) {
      ++completions_sent_;
    }
    return at;
  }

  // The position the next message written upstream will have.
  [[nodiscard]] ReplyPosition next_send() const { return {batches_sent_, completions_sent_}; }

  // Server side: the position the next server message belongs to.
  [[nodiscard]] ReplyPosition current() const { return {batches_seen_, completions_seen_}; }
  // After a server message was handled.
  void on_backend(char code) {
    if (code == protocol::ReadyForQuery::kCode) {
      ++batches_seen_;
      completions_seen_ = 0;
    } else if (is_completion(code)) {
      ++completions_seen_;
    }
  }

  // True while some batch sent upstream has not had its ReadyForQuery yet.
  [[nodiscard]] bool awaiting_reply() const { return batches_seen_ < batches_sent_; }
  // True while the client has sent messages of a batch not yet ended by Sync/Query.
  [[nodiscard]] bool batch_open() const { return completions_sent_ > 0; }

 private:
  uint64_t batches_sent_ = 0;
  uint32_t completions_sent_ = 0;
  uint64_t batches_seen_ = 0;
  uint32_t completions_seen_ = 0;
};

}  // namespace blueshift::proxy

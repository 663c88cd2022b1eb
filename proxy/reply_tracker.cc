#include "proxy/reply_tracker.h"

#include <utility>

namespace blueshift::proxy {
namespace {

// Frontend messages after which the server sends ReadyForQuery.
bool ends_batch(char code) { return code == 'S' || code == 'Q' || code == 'F'; }

// Frontend messages that, when they succeed, produce exactly one completion message below.
bool expects_completion(char code) {
  return code == 'P' || code == 'B' || code == 'D' || code == 'E' || code == 'C';
}

// Backend messages that complete one of those: ParseComplete, BindComplete, CloseComplete,
// the RowDescription/NoData ending a Describe, and CommandComplete/EmptyQueryResponse/
// PortalSuspended ending an Execute.
bool is_completion(char code) {
  switch (code) {
    case '1': case '2': case '3': case 'T': case 'n': case 'C': case 'I': case 's':
      return true;
    default:
      return false;
  }
}

}  // namespace

void ReplyTracker::on_forward(char code) {
  if (ends_batch(code)) {
    ++batches_sent_;
    completions_sent_ = 0;
  } else if (expects_completion(code)) {
    ++completions_sent_;
  }
}

void ReplyTracker::substitute_next(std::string error_bytes) {
  pending_.push_back(Pending{batches_sent_, completions_sent_, true, false, std::move(error_bytes)});
}

void ReplyTracker::notice_next(std::string notice_bytes) {
  pending_.push_back(Pending{batches_sent_, 0, false, false, std::move(notice_bytes)});
}

ReplyTracker::Action ReplyTracker::on_backend(char code, std::string* out) {
  if (code == 'Z') {
    size_t done = 0;
    while (done < pending_.size() && pending_[done].batch <= batches_seen_) {
      if (!pending_[done].is_substitute) out->append(pending_[done].bytes);
      ++done;
    }
    if (done > 0) pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(done));
    ++batches_seen_;
    completions_seen_ = 0;
    return Action::Forward;
  }
  if (is_completion(code)) {
    ++completions_seen_;
    return Action::Forward;
  }
  if (code == 'E' && !pending_.empty()) {
    for (Pending& p : pending_) {
      if (p.batch != batches_seen_) break;
      if (!p.is_substitute || p.resolved) continue;
      p.resolved = true;
      if (p.completions_before == completions_seen_) {
        *out = std::move(p.bytes);
        return Action::Replace;
      }
      // An earlier message of the batch failed: the server skipped the substitute.
      return Action::Forward;
    }
  }
  return Action::Forward;
}

}  // namespace blueshift::proxy

#include "policies/audit_log.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace blueshift::policies {

const char* outcome_word(Decision::Outcome outcome) {
  switch (outcome) {
    case Decision::Outcome::Pass: return "passed";
    case Decision::Outcome::Audit: return "audited";
    case Decision::Outcome::Notice: return "warned";
    case Decision::Outcome::Refuse: return "refused";
  }
  return "?";
}

std::string iso8601_utc(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  long frac = static_cast<long>(ms % 1000);
  if (frac < 0) {  // before 1970: keep the fraction positive
    frac += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

std::string audit_line(const Decision& decision, const SessionFacts& session, const std::string& fingerprint,
                       std::chrono::system_clock::time_point now) {
  using nlohmann::json;
  json j;
  j["time"] = iso8601_utc(now);
  j["user"] = session.user;
  j["application_name"] = session.application_name;
  j["client_address"] = session.client_address;
  j["database"] = session.database;
  if (session.groups_unknown) j["groups_unknown"] = true;
  j["fingerprint"] = fingerprint;
  std::set<std::string> seen;
  json tables = json::array();
  json findings = json::array();
  for (const auto& f : decision.findings) {
    if (!f.table.empty() && seen.insert(f.table).second) tables.push_back(f.table);
    json fj = {{"rule", f.rule},     {"rule_type", to_string(f.type)}, {"mode", to_string(f.mode)},
               {"table", f.table},   {"statement", f.statement},       {"detail", f.detail}};
    if (f.note) fj["note"] = true;
    if (f.unanalysed) fj["unanalysed"] = true;
    findings.push_back(std::move(fj));
  }
  j["tables"] = std::move(tables);
  if (const Finding* f = decision.shown()) {
    j["rule"] = f->rule;
    j["rule_type"] = to_string(f->type);
    j["mode"] = to_string(f->mode);
    j["message"] = f->message;
    j["detail"] = f->detail;
  }
  j["outcome"] = outcome_word(decision.outcome);
  j["findings"] = std::move(findings);
  // Replace rather than throw on invalid UTF-8 in a user or application name: the line
  // must be written whatever the client sent.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path, Clock clock, Limits limits) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return absl::UnavailableError("cannot open audit file " + path + ": " + std::strerror(errno));
  // The sink owns the file: it is closed when the writer, its only user, is gone.
  std::shared_ptr<std::FILE> file(f, [](std::FILE* p) { std::fclose(p); });
  Sink sink = [file](std::string_view lines) {
    std::fwrite(lines.data(), 1, lines.size(), file.get());
    std::fflush(file.get());
  };
  return std::unique_ptr<AuditLog>(new AuditLog(path, std::move(sink), std::move(clock), limits));
}

std::unique_ptr<AuditLog> AuditLog::to_sink(std::string name, Sink sink, Clock clock, Limits limits) {
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(name), std::move(sink), std::move(clock), limits));
}

AuditLog::AuditLog(std::string path, Sink sink, Clock clock, Limits limits)
    : path_(std::move(path)), sink_(std::move(sink)), clock_(std::move(clock)), limits_(limits) {
  writer_ = std::thread([this] { run(); });
}

AuditLog::~AuditLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  writer_.join();
}

void AuditLog::write(const Decision& decision, const SessionFacts& session, const std::string& fingerprint) {
  std::string line = audit_line(decision, session, fingerprint, clock_());
  line += '\n';
  enqueue(std::move(line));
}

void AuditLog::write_line(std::string json) {
  json += '\n';
  enqueue(std::move(json));
}

void AuditLog::enqueue(std::string line) {
  {
    std::lock_guard lock(mutex_);
    if (queued_bytes_ + line.size() > limits_.max_queued_bytes) {
      ++dropped_;
      return;
    }
    queued_bytes_ += line.size();
    ++queued_total_;
    queue_.push_back(std::move(line));
  }
  wake_.notify_one();
}

void AuditLog::flush() {
  std::unique_lock lock(mutex_);
  const uint64_t target = queued_total_;
  written_.wait(lock, [&] { return written_total_ >= target; });
}

uint64_t AuditLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

// The writer: takes everything queued as one batch, writes it outside the lock (callers
// keep queueing meanwhile), and repeats until stopped with nothing left.
void AuditLog::run() {
  std::unique_lock lock(mutex_);
  std::string batch;
  for (;;) {
    const bool drops_pending = dropped_ > dropped_reported_;
    const auto ready = [&] { return stopping_ || !queue_.empty(); };
    if (drops_pending) {
      wake_.wait_for(lock, limits_.drop_report_interval, ready);
    } else {
      wake_.wait(lock, ready);
    }
    if (const uint64_t drops = drops_to_report(std::chrono::steady_clock::now())) {
      lock.unlock();  // callers keep queueing while the warning is logged
      spdlog::warn("policies: {} audit lines dropped (the audit writer is behind; queue limit {} bytes)", drops,
                   limits_.max_queued_bytes);
      lock.lock();
    }
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    batch.clear();
    const size_t lines = queue_.size();
    for (auto& line : queue_) batch += line;
    queue_.clear();
    queued_bytes_ = 0;
    lock.unlock();
    sink_(batch);
    lock.lock();
    written_total_ += lines;
    written_.notify_all();
  }
}

// Called with mutex_ held: the lines dropped since the last report, once per interval.
uint64_t AuditLog::drops_to_report(std::chrono::steady_clock::time_point now) {
  if (dropped_ == dropped_reported_ || now - last_report_ < limits_.drop_report_interval) return 0;
  const uint64_t n = dropped_ - dropped_reported_;
  dropped_reported_ = dropped_;
  last_report_ = now;
  return n;
}
}  // namespace blueshift::policies

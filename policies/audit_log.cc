#include "policies/audit_log.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include "absl/status/status.h"
#include "nlohmann/json.hpp"

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

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path, Clock clock) {
  std::FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return absl::UnavailableError("cannot open audit file " + path + ": " + std::strerror(errno));
  return std::unique_ptr<AuditLog>(new AuditLog(path, f, std::move(clock)));
}

AuditLog::AuditLog(std::string path, std::FILE* file, Clock clock)
    : path_(std::move(path)), file_(file), clock_(std::move(clock)) {}

AuditLog::~AuditLog() {
  if (file_) std::fclose(file_);
}

void AuditLog::write(const Decision& decision, const SessionFacts& session, const std::string& fingerprint) {
  std::string line = audit_line(decision, session, fingerprint, clock_());
  line += '\n';
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), file_);
  std::fflush(file_);
}

}  // namespace blueshift::policies

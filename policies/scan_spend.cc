// Scan estimates by group; see scan_spend.h.
#include "policies/scan_spend.h"

#include <algorithm>

#include "policies/budget.h"

namespace blueshift::policies {
namespace {

void add_once(std::vector<std::string>& out, const std::vector<std::string>& names) {
  for (const auto& n : names) {
    if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  }
}

}  // namespace

std::vector<std::string> configured_groups(const PolicySet& policy) {
  std::vector<std::string> out;
  for (const Rule& r : policy.rules) {
    add_once(out, r.scope.groups);
    add_once(out, r.exempt.groups);
  }
  for (const Budget& b : policy.budgets.budgets) {
    if (b.holder == Budget::Holder::Group) add_once(out, {b.who});
  }
  return out;
}

std::string_view spend_group(const std::vector<std::string>& configured, const SessionFacts& session) {
  if (session.groups_unknown) return kOtherGroup;
  for (const auto& pattern : configured) {
    for (const auto& g : session.groups) {
      if (glob_match(pattern, g)) return pattern;
    }
  }
  return kOtherGroup;
}

void ScanSpend::count(std::string_view group, int64_t bytes, double usd) {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group);
  if (it == groups_.end()) it = groups_.emplace(std::string(group), ScanSpendTally{std::string(group)}).first;
  ++it->second.statements;
  it->second.bytes += static_cast<uint64_t>(std::max<int64_t>(bytes, 0));
  it->second.nanodollars += static_cast<uint64_t>(std::max<Nanodollars>(to_nanodollars(usd), 0));
}

void RunCount::operator()() const {
  if (spend) spend->count(group, bytes, usd);
  if (recorder) recorder->record(record);
}

std::vector<ScanSpendTally> ScanSpend::read() const {
  std::vector<ScanSpendTally> out;
  std::lock_guard lock(mutex_);
  for (const auto& [name, tally] : groups_) out.push_back(tally);
  return out;
}

}  // namespace blueshift::policies

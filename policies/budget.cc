#include "policies/budget.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include "policies/policy_set.h"

namespace blueshift::policies {
namespace {

std::tm utc(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm;
}

std::string date_text(int year, int month, int day) {
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02d-%02d", year, month, day);
  return out;
}

bool in_group(const SessionFacts& session, const std::string& group) {
  return session.groups_unknown || std::find(session.groups.begin(), session.groups.end(), group) != session.groups.end();
}

std::string whose(const BudgetAccount& a) {
  return a.holder == Budget::Holder::User ? "user " + a.member : "group " + a.member;
}

// "the day 2024-05-01 (UTC)", "the month from 2024-05-01 (UTC)".
std::string period_text(const BudgetAccount& a, std::chrono::system_clock::time_point now) {
  return a.period == BudgetPeriod::Day ? "the day " + period_start(a.period, now) + " (UTC)"
                                       : "the month from " + period_start(a.period, now) + " (UTC)";
}

}  // namespace

Nanodollars to_nanodollars(double usd) { return static_cast<Nanodollars>(std::ceil(usd * 1e9 - 1e-6)); }

std::string usd_exact(Nanodollars n) {
  const char* sign = n < 0 ? "-" : "";
  const Nanodollars a = n < 0 ? -n : n;
  char out[40];
  std::snprintf(out, sizeof out, "%s%lld.%09lld", sign, static_cast<long long>(a / 1000000000),
                static_cast<long long>(a % 1000000000));
  return out;
}

std::vector<BudgetAccount> budget_accounts(const BudgetSettings& settings, const SessionFacts& session) {
  std::vector<BudgetAccount> out;
  for (const Budget& b : settings.budgets) {
    const bool user = b.holder == Budget::Holder::User;
    if (user ? !glob_match(b.who, session.user) : !in_group(session, b.who)) continue;
    out.push_back(BudgetAccount{b.name, b.holder, user ? session.user : b.who, b.period, to_nanodollars(b.limit_usd),
                                b.mode});
  }
  return out;
}

std::string period_start(BudgetPeriod period, std::chrono::system_clock::time_point at) {
  const std::tm t = utc(at);
  return date_text(t.tm_year + 1900, t.tm_mon + 1, period == BudgetPeriod::Day ? t.tm_mday : 1);
}

std::string next_period_start(BudgetPeriod period, std::chrono::system_clock::time_point at) {
  if (period == BudgetPeriod::Day) return period_start(period, at + std::chrono::hours(24));
  const std::tm t = utc(at);
  return t.tm_mon == 11 ? date_text(t.tm_year + 1901, 1, 1) : date_text(t.tm_year + 1900, t.tm_mon + 2, 1);
}

LeaseGrant grant_lease(Nanodollars limit, Nanodollars committed, Nanodollars keep, Nanodollars need, double share) {
  const Nanodollars free = std::max<Nanodollars>(0, limit - committed);
  if (free < keep + need) return LeaseGrant{std::min(free, keep), false};
  const auto extra = static_cast<Nanodollars>(std::floor(static_cast<double>(free - keep - need) * share));
  return LeaseGrant{keep + need + extra, true};
}

std::vector<double> crossed_thresholds(Nanodollars before, Nanodollars after, Nanodollars limit,
                                       const std::vector<double>& thresholds) {
  std::vector<double> out;
  for (const double t : thresholds) {
    const auto mark = static_cast<Nanodollars>(std::ceil(static_cast<double>(limit) * t));
    if (before < mark && after >= mark) out.push_back(t);
  }
  return out;
}

BudgetMessage over_budget(const BudgetAccount& a, Nanodollars spent, Nanodollars held_elsewhere, Nanodollars cost,
                          std::chrono::system_clock::time_point now) {
  const bool enforce = a.mode == BudgetMode::Enforce;
  BudgetMessage m;
  m.severity = enforce ? "ERROR" : "WARNING";
  m.sqlstate = enforce ? "53400" : "01000";
  m.message = "blueshift: query " + std::string(enforce ? "refused" : "exceeds") + " budget \"" + a.budget + "\" (" +
              whose(a) + ", " + to_string(a.period) + "): it would spend more than is left";
  m.detail = "spent $" + usd_exact(spent) + " of $" + usd_exact(a.limit) + " in " + period_text(a, now) +
             (held_elsewhere > 0 ? " (and $" + usd_exact(held_elsewhere) + " leased to other proxy instances)" : "") +
             "; this query is estimated at $" + usd_exact(cost) + "; $" +
             usd_exact(std::max<Nanodollars>(0, a.limit - spent - held_elsewhere)) + " is left";
  m.hint = "Scan less (filter on the partition columns, name columns instead of *), or wait for the next " +
           std::string(to_string(a.period)) + ", from " + next_period_start(a.period, now) +
           " 00:00 UTC. SHOW blueshift.spend lists your budgets.";
  return m;
}

std::shared_ptr<const BudgetCharge> budget_charge(const rewrite::QueryFacts& facts, const Catalog& catalog,
                                                   const PartitionSizes& sizes, const CostSettings& cost,
                                                   std::vector<BudgetAccount> accounts,
                                                   const std::vector<rewrite::ParamValue>* params,
                                                   std::function<void()> ran) {
  Nanodollars total = 0;
  for (const auto& st : facts.statements) total += to_nanodollars(estimate_statement(st, catalog, sizes, cost, params).usd);
  if (total == 0 || accounts.empty()) return nullptr;
  return std::make_shared<const BudgetCharge>(BudgetCharge{total, std::move(accounts), std::move(ran)});
}

BudgetMessage threshold_notice(const BudgetAccount& a, Nanodollars spent, double threshold,
                               std::chrono::system_clock::time_point now) {
  BudgetMessage m;
  m.severity = "NOTICE";
  m.sqlstate = "01000";
  m.message = "blueshift: budget \"" + a.budget + "\" (" + whose(a) + ") has reached " +
              std::to_string(static_cast<int>(std::lround(threshold * 100))) + "% of its limit";
  m.detail = "spent $" + usd_exact(spent) + " of $" + usd_exact(a.limit) + " in " + period_text(a, now);
  m.hint = "SHOW blueshift.spend lists your budgets and what is left.";
  return m;
}

BudgetMessage ledger_unavailable(const BudgetAccount& a, const std::string& why) {
  BudgetMessage m;
  m.severity = "ERROR";
  m.sqlstate = "55000";
  m.message = "blueshift: the budget ledger cannot be reached, so budget \"" + a.budget + "\" cannot be checked";
  m.detail = why;
  m.hint = "Retry the query in a moment; budgets are configured to refuse governed scans while the ledger is "
           "unreachable.";
  return m;
}

}  // namespace blueshift::policies

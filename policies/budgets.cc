#include "policies/budgets.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

#include "policies/budget_notices.h"
#include "policies/log_text.h"
#include "spdlog/spdlog.h"

namespace blueshift::policies {

using SteadyClock = std::chrono::steady_clock;

namespace {

// After a failed ledger transaction, statements that do not fit are decided without
// waiting for another attempt for this long.
constexpr std::chrono::seconds kRetryAfter{1};
// A lease is renewed ahead of need when less than this share of it is left.
constexpr int kLowWaterDivisor = 4;

std::string default_instance() {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

}  // namespace

// Everything the sessions, the background thread and the reservations share.
class BudgetState {
 public:
  explicit BudgetState(Budgets::Options o) : options(std::move(o)) {
    if (!options.clock) options.clock = [] { return std::chrono::system_clock::now(); };
    if (options.settings.instance.empty()) options.settings.instance = default_instance();
  }

  Budgets::Options options;
  std::mutex mutex;  // leases
  std::map<std::string, Lease> leases;  // by account key and period
  std::mutex ledger_mutex;  // one ledger transaction at a time from this instance
  std::condition_variable wake;
  bool stopping = false;
  // Warnings at most every 10 s, each kind apart: a failed transaction and the fail-open
  // run it causes are both told.
  SteadyClock::time_point last_failure_warning{}, last_fail_open_warning{};

  static std::string lease_key(const BudgetAccount& a, const std::string& period) { return a.key() + '\x1f' + period; }

  Lease& lease_of(const BudgetAccount& a, std::chrono::system_clock::time_point now) {
    const std::string period = period_start(a.period, now);
    Lease& l = leases[lease_key(a, period)];
    l.account = a;  // a reload may have changed the limit or mode
    l.period = period;
    return l;
  }

  // One ledger transaction on a lease (ledger_mutex held, mutex not).
  void transact(const std::string& key, Nanodollars need, bool give_back) {
    LeaseRequest r;
    BudgetAccount account;
    Nanodollars flushed = 0, unleased = 0;
    const auto started = SteadyClock::now();
    {
      std::lock_guard lock(mutex);
      auto it = leases.find(key);
      if (it == leases.end()) return;
      Lease& l = it->second;
      account = l.account;
      l.busy = give_back;  // nothing is reserved from a lease being given back
      flushed = l.settled;
      unleased = l.overflow;
      r.holder = options.settings.instance;
      r.limit = l.account.limit;
      r.flush = flushed;
      r.unleased = unleased;
      // Everything the lease backs but has not settled: running statements, and what may
      // be reserved from it while this transaction runs.
      r.keep = give_back ? l.reserved : l.granted - l.settled;
      // What the lease has left counts towards the waiting statement.
      r.need = std::max<Nanodollars>(0, need - std::max<Nanodollars>(0, l.granted - l.reserved - l.settled));
      r.share = options.settings.lease_share;
      r.give_back = give_back;
      r.now = options.clock();
      r.expires = r.now + std::chrono::seconds(options.settings.lease_seconds);
    }
    auto out = options.ledger->transact(account, period_of(key), r);
    std::lock_guard lock(mutex);
    Lease& l = leases[key];
    l.busy = false;
    if (!out.ok()) {
      l.failure = std::string(out.status().message());
      l.failed_at = SteadyClock::now();
      warn(last_failure_warning, "budgets: the ledger transaction for budget " + log_text(account.budget) + " failed: " + l.failure);
      return;
    }
    l.failure.clear();
    l.settled -= flushed;
    l.overflow -= unleased;
    if (give_back) l.reserved = 0;  // counted as spent
    l.granted = out->lease;
    l.ledger_spent = out->spent;
    l.ledger_others = out->others;
    l.known = true;
    if (!give_back) l.last_used = SteadyClock::now();  // not idle before the waiting statement reserves
    // The ledger's lease runs from its transaction; ours from before it, less a second.
    l.expires = give_back ? SteadyClock::time_point{}
                          : started + std::chrono::seconds(options.settings.lease_seconds) - std::chrono::seconds(1);
  }

  // Records in the ledger the threshold notices a statement of `cost` would make due for
  // `user` (ledger_mutex held, mutex not); a failure is the lease's, so that they are then
  // told here (budget_notices.h).
  void record_notices(const BudgetAccount& account, const std::string& user, Nanodollars cost) {
    std::string key, period;
    std::vector<double> wanted;
    {
      std::lock_guard lock(mutex);
      Lease& l = lease_of(account, options.clock());
      if (!l.failure.empty()) return;
      wanted = unrecorded_thresholds(l, l.spent() + cost, user, options.settings.thresholds);
      key = lease_key(account, l.period);
      period = l.period;
    }
    if (wanted.empty()) return;
    auto recorded = options.ledger->record_notices(account, period, user, wanted);
    std::lock_guard lock(mutex);
    Lease& l = leases[key];
    if (!recorded.ok()) {
      l.failure = std::string(recorded.status().message());
      l.failed_at = SteadyClock::now();
      warn(last_failure_warning, "budgets: recording a threshold notice of budget " + log_text(account.budget) +
                                     " failed: " + l.failure);
      return;
    }
    note_recorded(l, user, wanted, *recorded);
  }

  static std::string period_of(const std::string& key) { return key.substr(key.rfind('\x1f') + 1); }

  static void warn(SteadyClock::time_point& last, const std::string& line) {
    const auto now = SteadyClock::now();
    if (now - last < std::chrono::seconds(10)) return;
    last = now;
    spdlog::warn("{}", line);
  }
};

BudgetReservation::BudgetReservation(std::shared_ptr<BudgetState> state, std::vector<Hold> holds)
    : state_(std::move(state)), holds_(std::move(holds)) {}

BudgetReservation::~BudgetReservation() {
  std::lock_guard lock(state_->mutex);
  for (const Hold& h : holds_) {
    Lease& l = state_->leases[h.lease];
    l.reserved -= h.usd;
    l.settled += h.usd;
  }
}

namespace {

// The background work on every lease (ledger_mutex held by the caller).
void maintain_leases(BudgetState& state) {
  const auto now = state.options.clock();
  const auto steady = SteadyClock::now();
  const auto lease_time = std::chrono::seconds(state.options.settings.lease_seconds);
  std::vector<std::pair<std::string, bool>> work;  // key, give back
  {
    std::lock_guard lock(state.mutex);
    for (auto it = state.leases.begin(); it != state.leases.end();) {
      const Lease& l = it->second;
      const bool current = l.period == period_start(l.account.period, now);
      const bool holds = l.granted > 0 || l.settled > 0 || l.overflow > 0;
      const bool idle = steady - l.last_used > lease_time / 2;
      if (!holds && !current && l.reserved == 0) {
        it = state.leases.erase(it);  // a past period with nothing left to write
        continue;
      }
      if (holds && l.reserved == 0 && (!current || idle)) {
        work.emplace_back(it->first, true);
      } else if (holds && current && (l.settled > 0 || l.overflow > 0 || l.expires - steady < lease_time / 3 ||
                                      l.available(steady) < l.granted / kLowWaterDivisor)) {
        work.emplace_back(it->first, false);
      }
      ++it;
    }
  }
  for (const auto& [key, give_back] : work) state.transact(key, 0, give_back);
}

}  // namespace

Budgets::Budgets(Options options) : state_(std::make_shared<BudgetState>(std::move(options))) {
  if (!state_->options.background) return;
  worker_ = std::thread([state = state_] {
    std::unique_lock lock(state->mutex);
    while (!state->stopping) {
      state->wake.wait_for(lock, std::chrono::seconds(1));
      if (state->stopping) break;
      lock.unlock();
      {
        std::lock_guard ledger(state->ledger_mutex);
        maintain_leases(*state);
      }
      lock.lock();
    }
  });
}

Budgets::~Budgets() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  if (worker_.joinable()) worker_.join();
  // Give every lease back, counting what still runs as spent.
  std::lock_guard ledger(state_->ledger_mutex);
  std::vector<std::string> keys;
  {
    std::lock_guard lock(state_->mutex);
    for (const auto& [key, l] : state_->leases)
      if (l.granted > 0 || l.settled > 0 || l.overflow > 0 || l.reserved > 0) keys.push_back(key);
  }
  for (const auto& key : keys) state_->transact(key, 0, true);
}

void Budgets::maintain() {
  std::lock_guard ledger(state_->ledger_mutex);
  maintain_leases(*state_);
}

void Budgets::acquire(const BudgetCharge& charge, const std::string& user) {
  std::lock_guard ledger(state_->ledger_mutex);
  const auto now = state_->options.clock();
  for (const auto& account : charge.accounts) {
    std::string key;
    {
      std::lock_guard lock(state_->mutex);
      Lease& l = state_->lease_of(account, now);
      // Another session's acquire may have brought enough meanwhile.
      if (l.available(SteadyClock::now()) < charge.cost) key = BudgetState::lease_key(account, l.period);
    }
    if (!key.empty()) state_->transact(key, charge.cost, false);
    state_->record_notices(account, user, charge.cost);
  }
}

BudgetOutcome Budgets::reserve(const BudgetCharge& charge, const std::string& user, bool waited) {
  BudgetState& s = *state_;
  const auto now = s.options.clock();
  const auto steady = SteadyClock::now();
  std::lock_guard lock(s.mutex);
  std::vector<Lease*> leases;
  bool short_any = false, failed_recently = false;
  for (const auto& account : charge.accounts) {
    Lease& l = s.lease_of(account, now);
    leases.push_back(&l);
    if (l.busy || l.available(steady) < charge.cost) {
      short_any = true;
      failed_recently = failed_recently || (!l.failure.empty() && steady - l.failed_at < kRetryAfter);
    }
  }
  BudgetOutcome out;
  if (short_any && !waited && !failed_recently) {
    out.kind = BudgetOutcome::Kind::NeedLease;
    return out;
  }
  // Decide every account before touching any: a refusal reserves nothing.
  std::vector<bool> fits;
  for (Lease* l : leases) {
    fits.push_back(!l->busy && l->available(steady) >= charge.cost);
    if (fits.back()) continue;
    const bool enforce = l->account.mode == BudgetMode::Enforce;
    if (!l->failure.empty()) {
      if (enforce && !s.options.settings.fail_open) {
        out.kind = BudgetOutcome::Kind::Refuse;
        out.refusal = ledger_unavailable(l->account, l->failure);
        return out;
      }
      s.warn(s.last_fail_open_warning, "budgets: the ledger is unreachable; running a query of user " + log_text(user) + " for budget " +
             log_text(l->account.budget) + " without a lease (fail open): " + l->failure);
      continue;
    }
    if (enforce) {
      out.kind = BudgetOutcome::Kind::Refuse;
      out.refusal = over_budget(l->account, l->spent(), l->ledger_others, charge.cost, now);
      return out;
    }
    out.notices.push_back(over_budget(l->account, l->spent(), l->ledger_others, charge.cost, now));
  }
  // A threshold this statement would reach that no instance is known to have told the
  // user of is recorded in the ledger first (acquire), so that one instance tells it.
  if (!waited) {
    for (Lease* l : leases) {
      if (l->failure.empty() &&
          !unrecorded_thresholds(*l, l->spent() + charge.cost, user, s.options.settings.thresholds).empty())
        return BudgetOutcome{BudgetOutcome::Kind::NeedLease, {}, {}, nullptr};
    }
  }
  std::vector<BudgetReservation::Hold> holds;
  bool low = false;
  for (size_t i = 0; i < leases.size(); ++i) {
    Lease& l = *leases[i];
    if (fits[i]) {
      l.reserved += charge.cost;
      holds.push_back({BudgetState::lease_key(l.account, l.period), charge.cost});
    } else {
      l.overflow += charge.cost;
    }
    l.last_used = steady;
    low = low || l.available(steady) < l.granted / kLowWaterDivisor;
    // Every threshold reached, not only those this statement crosses: each user of a
    // pool is told once per period, whoever crossed it.
    for (auto& n : due_notices(l, user, s.options.settings.thresholds, !l.failure.empty(), now))
      out.notices.push_back(std::move(n));
  }
  if (low) s.wake.notify_one();  // renew before a session has to wait
  out.reservation = std::make_shared<BudgetReservation>(state_, std::move(holds));
  return out;
}

std::vector<SpendRow> Budgets::spend(const std::vector<BudgetAccount>& accounts) {
  const auto now = state_->options.clock();
  std::lock_guard lock(state_->mutex);
  std::vector<SpendRow> rows;
  for (const auto& a : accounts) {
    const Lease& l = state_->lease_of(a, now);
    SpendRow r;
    r.budget = a.budget;
    r.scope = a.holder == Budget::Holder::User ? "user" : "group";
    r.member = a.member;
    r.period = to_string(a.period);
    r.period_start = l.period;
    r.limit_usd = usd_exact(a.limit);
    // Not read from the ledger yet this period: only what ran here is known.
    r.spent_usd = usd_exact(l.spent()) + (l.known ? "" : " (not read from the ledger yet)");
    r.left_usd = usd_exact(std::max<Nanodollars>(0, a.limit - l.spent()));
    r.mode = a.mode == BudgetMode::Enforce ? "enforce" : "warn";
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace blueshift::policies

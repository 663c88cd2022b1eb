// The warehouse ledger (ledger.h): one libpq connection, one transaction per lease,
// settle or give-back, under LOCK TABLE, which PostgreSQL and Redshift both take, so two
// instances never read the same rows at once.
#include "policies/ledger.h"

#include <libpq-fe.h>

#include <cstdio>
#include <ctime>
#include <set>
#include <string_view>

#include "rewrite/identifiers.h"

namespace blueshift::policies {

std::string ledger_ddl(const std::string& schema, const std::string& table) {
  const std::string q = rewrite::quote_identifier(schema) + "." + rewrite::quote_identifier(table);
  return "CREATE TABLE IF NOT EXISTS " + q +
         " (budget varchar(256) NOT NULL, scope varchar(8) NOT NULL, member varchar(256) NOT NULL, "
         "period varchar(8) NOT NULL, period_start date NOT NULL, holder varchar(256) NOT NULL, "
         "usd numeric(20,9) NOT NULL, limit_usd numeric(20,9) NOT NULL, expires_at timestamp, "
         "updated_at timestamp NOT NULL, PRIMARY KEY (budget, member, period_start, holder))";
}

std::string notice_holder(double threshold, const std::string& user) {
  char percent[32];
  std::snprintf(percent, sizeof percent, "%g", threshold * 100);
  return "notice " + std::string(percent) + "% " + user;
}

namespace {

// Rows of spent dollars and leases, not the notice rows beside them.
constexpr const char* kAccountRows =
    " WHERE budget = $1 AND member = $2 AND period_start = $3::date AND scope <> 'notice'";

std::string utc_text(std::chrono::system_clock::time_point at) {
  const std::time_t t = std::chrono::system_clock::to_time_t(at);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S", &tm);
  return out;
}

// numeric text ("12.000047684", "-0.5") -> nanodollars, exactly.
Nanodollars parse_usd(const char* text) {
  const bool negative = *text == '-';
  if (negative) ++text;
  Nanodollars whole = 0, fraction = 0;
  int digits = 0;
  for (; *text >= '0' && *text <= '9'; ++text) whole = whole * 10 + (*text - '0');
  if (*text == '.') {
    for (++text; *text >= '0' && *text <= '9' && digits < 9; ++text, ++digits) fraction = fraction * 10 + (*text - '0');
  }
  for (; digits < 9; ++digits) fraction *= 10;
  const Nanodollars n = whole * 1000000000 + fraction;
  return negative ? -n : n;
}

class SqlLedger final : public LedgerStore {
 public:
  SqlLedger(std::string conninfo, std::string schema, std::string table)
      : conninfo_(std::move(conninfo)), schema_(std::move(schema)), table_(std::move(table)),
        qualified_(rewrite::quote_identifier(schema_) + "." + rewrite::quote_identifier(table_)) {}
  ~SqlLedger() override {
    if (conn_) PQfinish(conn_);
  }

  absl::StatusOr<LeaseOutcome> transact(const BudgetAccount& account, const std::string& period,
                                        const LeaseRequest& request) override {
    std::lock_guard lock(mutex_);
    if (auto s = begin(); !s.ok()) return s;
    const std::vector<std::string> key = {account.budget, account.member, period};
    auto rows = read_rows(key);
    if (!rows.ok()) return fail(rows.status());
    LeaseOutcome out = settle_and_lease(std::move(*rows), request);
    if (auto s = write_rows(account, period, out.rows, request.now); !s.ok()) return fail(s);
    if (auto s = exec("COMMIT", {}); !s.ok()) return fail(s);
    return out;
  }

  absl::Status adjust_spent(const BudgetAccount& account, const std::string& period, Nanodollars delta) override {
    std::lock_guard lock(mutex_);
    if (auto s = begin(); !s.ok()) return s;
    auto rows = read_rows({account.budget, account.member, period});
    if (!rows.ok()) return fail(rows.status());
    rows->push_back(LedgerRow{"", delta, {}});
    std::vector<LedgerRow> merged;
    Nanodollars spent = 0;
    for (const auto& r : *rows) {
      if (r.holder.empty()) spent += r.usd;
      else merged.push_back(r);
    }
    merged.insert(merged.begin(), LedgerRow{"", spent, {}});
    if (auto s = write_rows(account, period, merged, std::chrono::system_clock::now()); !s.ok()) return fail(s);
    return exec("COMMIT", {});
  }

  absl::StatusOr<std::vector<double>> record_notices(const BudgetAccount& account, const std::string& period,
                                                     const std::string& user,
                                                     const std::vector<double>& thresholds) override {
    std::lock_guard lock(mutex_);
    if (auto s = begin(); !s.ok()) return s;
    PGresult* r = run("SELECT holder FROM " + qualified_ +
                          " WHERE budget = $1 AND member = $2 AND period_start = $3::date AND scope = 'notice'",
                      {account.budget, account.member, period});
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return fail(error(r));
    std::set<std::string> told;
    for (int i = 0; i < PQntuples(r); ++i) told.insert(PQgetvalue(r, i, 0));
    PQclear(r);
    std::vector<double> recorded;
    const auto now = std::chrono::system_clock::now();
    for (const double t : thresholds) {
      if (told.count(notice_holder(t, user))) continue;
      if (auto s = insert_row(account, period, "notice", LedgerRow{notice_holder(t, user), 0, {}}, now); !s.ok())
        return fail(s);
      recorded.push_back(t);
    }
    if (auto s = exec("COMMIT", {}); !s.ok()) return fail(s);
    return recorded;
  }

 private:
  // Connects (again, after a failure), creates the table once, and opens the transaction.
  absl::Status begin() {
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
      if (conn_) PQfinish(conn_);
      const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
      const char* values[] = {"5", "blueshift-ledger", conninfo_.c_str(), nullptr};
      conn_ = PQconnectdbParams(keys, values, 1);
      if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        std::string why = conn_ ? PQerrorMessage(conn_) : "out of memory";
        if (conn_) PQfinish(conn_);
        conn_ = nullptr;
        return absl::UnavailableError("ledger connection failed: " + trim(why));
      }
      created_ = false;
    }
    if (!created_) {
      // The schema only when the table cannot be made without it: creating a schema takes
      // a right the service role may lack where the schema exists.
      // Twice: IF NOT EXISTS races with another instance creating it at the same moment.
      if (!exec(ledger_ddl(schema_, table_), {}).ok() && !exec(ledger_ddl(schema_, table_), {}).ok()) {
        if (auto s = exec("CREATE SCHEMA IF NOT EXISTS " + rewrite::quote_identifier(schema_), {}); !s.ok()) return s;
        if (auto s = exec(ledger_ddl(schema_, table_), {}); !s.ok()) return s;
      }
      created_ = true;
    }
    if (auto s = exec("BEGIN", {}); !s.ok()) return s;
    if (auto s = exec("LOCK TABLE " + qualified_, {}); !s.ok()) return fail(s);
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<LedgerRow>> read_rows(const std::vector<std::string>& key) {
    PGresult* r = run("SELECT holder, usd::text, coalesce(extract(epoch FROM expires_at)::bigint, 0) FROM " +
                          qualified_ + kAccountRows,
                      key);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) return error(r);
    std::vector<LedgerRow> rows;
    for (int i = 0; i < PQntuples(r); ++i) {
      rows.push_back(LedgerRow{PQgetvalue(r, i, 0), parse_usd(PQgetvalue(r, i, 1)),
                               std::chrono::system_clock::time_point(std::chrono::seconds(std::atoll(PQgetvalue(r, i, 2))))});
    }
    PQclear(r);
    return rows;
  }

  absl::Status write_rows(const BudgetAccount& a, const std::string& period, const std::vector<LedgerRow>& rows,
                          std::chrono::system_clock::time_point now) {
    if (auto s = exec("DELETE FROM " + qualified_ + kAccountRows, {a.budget, a.member, period}); !s.ok()) return s;
    const char* scope = a.holder == Budget::Holder::User ? "user" : "group";
    for (const auto& row : rows) {
      if (auto s = insert_row(a, period, scope, row, now); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  // A row of `scope`: the expiry of a lease only, none for the spent and notice rows.
  absl::Status insert_row(const BudgetAccount& a, const std::string& period, const char* scope, const LedgerRow& row,
                          std::chrono::system_clock::time_point now) {
    const bool lease = !row.holder.empty() && std::string_view(scope) != "notice";
    return exec("INSERT INTO " + qualified_ +
                    " (budget, scope, member, period, period_start, holder, usd, limit_usd, expires_at, "
                    "updated_at) VALUES ($1, $2, $3, $4, $5::date, $6, $7::numeric, $8::numeric, "
                    "nullif($9, '')::timestamp, $10::timestamp)",
                {a.budget, scope, a.member, to_string(a.period), period, row.holder, usd_exact(row.usd),
                 usd_exact(a.limit), lease ? utc_text(row.expires) : "", utc_text(now)});
  }

  PGresult* run(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> p;
    for (const auto& s : params) p.push_back(s.c_str());
    return PQexecParams(conn_, sql.c_str(), static_cast<int>(p.size()), nullptr, p.empty() ? nullptr : p.data(),
                        nullptr, nullptr, 0);
  }
  absl::Status exec(const std::string& sql, const std::vector<std::string>& params) {
    PGresult* r = run(sql, params);
    const auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return error(r);
    PQclear(r);
    return absl::OkStatus();
  }
  absl::Status error(PGresult* r) {
    std::string why = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
    PQclear(r);
    return absl::UnavailableError("ledger " + qualified_ + ": " + trim(why));
  }
  // Ends a failed transaction; a broken connection is opened again next time.
  absl::Status fail(absl::Status s) {
    PQclear(run("ROLLBACK", {}));
    return s;
  }
  static std::string trim(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    for (char& c : s) c = c == '\n' ? ' ' : c;
    return s;
  }

  std::mutex mutex_;
  const std::string conninfo_, schema_, table_, qualified_;
  PGconn* conn_ = nullptr;
  bool created_ = false;
};

}  // namespace

std::shared_ptr<LedgerStore> make_sql_ledger(std::string conninfo, std::string schema, std::string table) {
  return std::make_shared<SqlLedger>(std::move(conninfo), std::move(schema), std::move(table));
}

}  // namespace blueshift::policies

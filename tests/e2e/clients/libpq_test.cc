// libpq through the proxy, compared with the same calls made directly on the warehouse:
// PQexecParams with text and binary parameters, named prepared statements, pipeline mode
// with an error inside, single-row mode, COPY both ways, notices, notifications, large
// values, cancel of a running statement, and BackendKeyData (the server's pid, as directly).
// Needs the environment tests/run.sh exports (run through run_checked.sh).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string conninfo(const std::string& port, const std::string& user = "analyst",
                     const std::string& password = "analyst-dev-pw") {
  std::string db = env("E2E_DB").empty() ? "blueshift_e2e_clients" : env("E2E_DB");
  return "host=127.0.0.1 port=" + port + " dbname=" + db + " user=" + user + " password=" + password +
         " connect_timeout=10 application_name=e2e_clients_libpq";
}
std::string direct_port() { return env("BLUESHIFT_DEV_PORT"); }
std::string proxy_port() { return env("BLUESHIFT_TEST_PROXY_PORT"); }

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

Conn connect(const std::string& port) {
  Conn c(PQconnectdb(conninfo(port).c_str()));
  if (PQstatus(c.get()) != CONNECTION_OK) {
    ADD_FAILURE() << "connect to port " << port << " failed: " << PQerrorMessage(c.get());
  }
  return c;
}

std::string field(const PGresult* r, int code) {
  const char* v = PQresultErrorField(r, code);
  return v ? v : "";
}

// Everything a client can observe about a result, as text, so that direct and proxied
// results compare with one EXPECT_EQ and print readably when they differ.
std::string dump(const PGresult* r) {
  std::ostringstream out;
  if (!r) return "(null result)\n";
  out << "status=" << PQresStatus(PQresultStatus(r));
  if (PQresultStatus(r) == PGRES_FATAL_ERROR || PQresultStatus(r) == PGRES_NONFATAL_ERROR) {
    out << " severity=" << field(r, PG_DIAG_SEVERITY_NONLOCALIZED) << " sqlstate=" << field(r, PG_DIAG_SQLSTATE)
        << " message=" << field(r, PG_DIAG_MESSAGE_PRIMARY) << " detail=" << field(r, PG_DIAG_MESSAGE_DETAIL)
        << " hint=" << field(r, PG_DIAG_MESSAGE_HINT) << " position=" << field(r, PG_DIAG_STATEMENT_POSITION);
  }
  out << " cmd=" << PQcmdStatus(const_cast<PGresult*>(r)) << " tuples=" << PQcmdTuples(const_cast<PGresult*>(r))
      << " nparams=" << PQnparams(r) << "\n";
  for (int p = 0; p < PQnparams(r); ++p) out << " paramtype " << PQparamtype(r, p) << "\n";
  for (int c = 0; c < PQnfields(r); ++c) {
    out << " field " << PQfname(r, c) << " type=" << PQftype(r, c) << " mod=" << PQfmod(r, c)
        << " size=" << PQfsize(r, c) << " format=" << PQfformat(r, c) << "\n";
  }
  for (int row = 0; row < PQntuples(r); ++row) {
    out << " row";
    for (int c = 0; c < PQnfields(r); ++c) {
      if (PQgetisnull(r, row, c)) {
        out << " NULL";
      } else if (PQfformat(r, c) == 1) {
        out << " bin:";
        const auto* p = reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, c));
        char hex[3];
        for (int i = 0; i < PQgetlength(r, row, c); ++i) {
          std::snprintf(hex, sizeof hex, "%02x", p[i]);
          out << hex;
        }
      } else {
        out << " '" << std::string(PQgetvalue(r, row, c), PQgetlength(r, row, c)) << "'";
      }
    }
    out << "\n";
  }
  return out.str();
}

Result exec(PGconn* c, const std::string& sql) { return Result(PQexec(c, sql.c_str())); }

void exec_ok(PGconn* c, const std::string& sql) {
  Result r = exec(c, sql);
  ASSERT_TRUE(PQresultStatus(r.get()) == PGRES_COMMAND_OK || PQresultStatus(r.get()) == PGRES_TUPLES_OK)
      << sql << ": " << PQerrorMessage(c);
}

// Runs the same scenario on a direct and a proxied connection and compares transcripts.
template <typename Scenario>
void compare(Scenario scenario, std::string* direct_out = nullptr, std::string* proxy_out = nullptr) {
  Conn direct = connect(direct_port());
  Conn proxy = connect(proxy_port());
  ASSERT_EQ(PQstatus(direct.get()), CONNECTION_OK);
  ASSERT_EQ(PQstatus(proxy.get()), CONNECTION_OK);
  const std::string d = scenario(direct.get());
  const std::string p = scenario(proxy.get());
  EXPECT_EQ(d, p) << "direct and proxied transcripts differ";
  if (direct_out) *direct_out = d;
  if (proxy_out) *proxy_out = p;
}

uint32_t be32(uint32_t v) { return htonl(v); }

TEST(Libpq, ExecParamsText) {
  std::string out;
  compare(
      [](PGconn* c) {
        const char* values[] = {"41", "héllo", "12.345", "2024-02-28", "true", nullptr, "{\"k\": [1, \"✓\"]}",
                                "{1,NULL,3}"};
        Result r(PQexecParams(c,
                              "SELECT $1::int4 + 1 AS i, $2::text || ' ✓' AS t, $3::numeric * 2 AS n, $4::date + 1 AS d,"
                              " NOT $5::bool AS b, $6::text IS NULL AS was_null, $7::jsonb -> 'k' AS j,"
                              " array_length($8::int[], 1) AS len, $8::int[] AS arr",
                              8, nullptr, values, nullptr, nullptr, 0));
        std::string s = dump(r.get());
        // Untyped parameters: the server infers the types, the client sees them.
        const char* v2[] = {"7", "x"};
        Result r2(PQexecParams(c, "SELECT $1 || $2", 2, nullptr, v2, nullptr, nullptr, 0));
        s += dump(r2.get());
        const char* bad[] = {"not a number"};
        Result r3(PQexecParams(c, "SELECT $1::int", 1, nullptr, bad, nullptr, nullptr, 0));
        s += dump(r3.get());
        return s;
      },
      &out);
  EXPECT_NE(out.find("row '42' 'héllo ✓' '24.690' '2024-02-29' 'f' 't' '[1, \"✓\"]' '3' '{1,NULL,3}'"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("sqlstate=22P02 message=invalid input syntax for type integer: \"not a number\""),
            std::string::npos)
      << out;
}

TEST(Libpq, ExecParamsBinary) {
  std::string out;
  compare(
      [](PGconn* c) {
        const uint32_t i4 = be32(123456789);
        const uint32_t hi = be32(0x01020304), lo = be32(0x05060708);
        char i8[8];
        std::memcpy(i8, &hi, 4);
        std::memcpy(i8 + 4, &lo, 4);
        double f = -1234.5;
        uint64_t fbits;
        std::memcpy(&fbits, &f, 8);
        const uint32_t fh = be32(static_cast<uint32_t>(fbits >> 32)), fl = be32(static_cast<uint32_t>(fbits));
        char f8[8];
        std::memcpy(f8, &fh, 4);
        std::memcpy(f8 + 4, &fl, 4);
        const char bytes[] = {'\0', '\x01', '\xff', '\0', 'a'};
        const char* values[] = {reinterpret_cast<const char*>(&i4), i8, f8, bytes, "text in text format"};
        const int lengths[] = {4, 8, 8, 5, 0};
        const int formats[] = {1, 1, 1, 1, 0};
        const Oid types[] = {23, 20, 701, 17, 25};
        // Binary results too.
        Result r(PQexecParams(c, "SELECT $1 AS i4, $2 AS i8, $3 AS f8, $4 AS b, $5 AS t, $1 + 1 AS i4p1", 5, types,
                              values, lengths, formats, 1));
        std::string s = dump(r.get());
        Result r2(PQexecParams(c, "SELECT $1::int4 AS i4, $2::int8::text AS i8, $3::float8::text AS f8, encode($4, 'hex') AS b",
                               4, types, values, lengths, formats, 0));
        s += dump(r2.get());
        return s;
      },
      &out);
  EXPECT_NE(out.find("row bin:075bcd15 bin:0102030405060708 bin:c0934a0000000000 bin:0001ff0061 "
                     "bin:7465787420696e207465787420666f726d6174 bin:075bcd16"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("row '123456789' '72623859790382856' '-1234.5' '0001ff0061'"), std::string::npos) << out;
}

TEST(Libpq, NamedPreparedStatements) {
  std::string out;
  compare(
      [](PGconn* c) {
        std::string s;
        Result p(PQprepare(c, "e2e_mul", "SELECT $1::int * $2::int AS product, $3::text AS label", 3, nullptr));
        s += dump(p.get());
        Result d(PQdescribePrepared(c, "e2e_mul"));
        s += dump(d.get());
        long sum = 0;
        for (int i = 0; i < 200; ++i) {
          const std::string a = std::to_string(i), b = std::to_string(i + 1), label = "n" + a;
          const char* values[] = {a.c_str(), b.c_str(), label.c_str()};
          Result e(PQexecPrepared(c, "e2e_mul", 3, values, nullptr, nullptr, 0));
          if (PQresultStatus(e.get()) != PGRES_TUPLES_OK) return s + "exec failed: " + dump(e.get());
          sum += std::atol(PQgetvalue(e.get(), 0, 0));
          if (i == 199) s += dump(e.get());
        }
        s += "sum=" + std::to_string(sum) + "\n";
        Result dup(PQprepare(c, "e2e_mul", "SELECT 1", 0, nullptr));
        s += dump(dup.get());
        Result unknown(PQexecPrepared(c, "e2e_nope", 0, nullptr, nullptr, nullptr, 0));
        s += dump(unknown.get());
        Result wrong_count(PQexecPrepared(c, "e2e_mul", 1, nullptr, nullptr, nullptr, 0));
        s += dump(wrong_count.get());
        Result listed = exec(c, "SELECT name, statement, parameter_types::text, from_sql FROM pg_prepared_statements");
        s += dump(listed.get());
        Result closed = exec(c, "DEALLOCATE e2e_mul");
        s += dump(closed.get());
        Result again(PQprepare(c, "e2e_mul", "SELECT $1::text || '!'", 1, nullptr));
        s += dump(again.get());
        const char* v[] = {"re-prepared"};
        Result e2(PQexecPrepared(c, "e2e_mul", 1, v, nullptr, nullptr, 0));
        s += dump(e2.get());
        // The unnamed statement, replaced by each new Parse.
        Result u1(PQprepare(c, "", "SELECT 'unnamed one'", 0, nullptr));
        Result u2(PQexecPrepared(c, "", 0, nullptr, nullptr, nullptr, 0));
        s += dump(u2.get());
        return s;
      },
      &out);
  EXPECT_NE(out.find("sum=2666600"), std::string::npos) << out;
  EXPECT_NE(out.find("sqlstate=42P05"), std::string::npos) << out;
  EXPECT_NE(out.find("sqlstate=26000"), std::string::npos) << out;
  EXPECT_NE(out.find("row 're-prepared!'"), std::string::npos) << out;
}

TEST(Libpq, PipelineWithErrorMatchesDirect) {
  std::string out;
  compare(
      [](PGconn* c) {
        std::string s;
        exec_ok(c, "DROP TABLE IF EXISTS pipe_t");
        exec_ok(c, "CREATE TABLE pipe_t (id int PRIMARY KEY, v text)");
        if (PQenterPipelineMode(c) != 1) return std::string("cannot enter pipeline mode");
        const char* one[] = {"1"};
        const char* two[] = {"2", "two"};
        PQsendQueryParams(c, "INSERT INTO pipe_t VALUES ($1::int, 'one') RETURNING id", 1, nullptr, one, nullptr,
                          nullptr, 0);
        PQsendPrepare(c, "pipe_ins", "INSERT INTO pipe_t VALUES ($1, $2)", 2, nullptr);
        PQsendQueryPrepared(c, "pipe_ins", 2, two, nullptr, nullptr, 0);
        PQsendQueryParams(c, "SELECT g FROM generate_series(1, 3) g", 0, nullptr, nullptr, nullptr, nullptr, 0);
        PQsendQueryParams(c, "SELECT 1 / (SELECT count(*) - 2 FROM pipe_t)", 0, nullptr, nullptr, nullptr, nullptr, 0);
        PQsendQueryPrepared(c, "pipe_ins", 2, one, nullptr, nullptr, 0);  // aborted: never runs
        PQsendQueryParams(c, "SELECT 'aborted too'", 0, nullptr, nullptr, nullptr, nullptr, 0);
        PQpipelineSync(c);
        const char* three[] = {"3", "three"};
        PQsendQueryPrepared(c, "pipe_ins", 2, three, nullptr, nullptr, 0);
        PQsendDescribePrepared(c, "pipe_ins");
        PQsendQueryParams(c, "SELECT id, v FROM pipe_t ORDER BY id", 0, nullptr, nullptr, nullptr, nullptr, 0);
        PQpipelineSync(c);
        int syncs = 0;
        int nulls_in_a_row = 0;
        while (syncs < 2) {
          PGresult* r = PQgetResult(c);
          if (!r) {
            s += "--\n";
            if (++nulls_in_a_row > 2) return s + "stuck: no result";
            continue;
          }
          nulls_in_a_row = 0;
          if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) ++syncs;
          s += dump(r);
          PQclear(r);
        }
        if (PQexitPipelineMode(c) != 1) s += "cannot exit pipeline mode: " + std::string(PQerrorMessage(c));
        Result final_rows = exec(c, "SELECT id, v FROM pipe_t ORDER BY id");
        s += dump(final_rows.get());
        exec_ok(c, "DROP TABLE pipe_t");
        return s;
      },
      &out);
  // The first pipeline's implicit transaction rolled back at the error: only row 3 remains.
  EXPECT_NE(out.find("sqlstate=22012"), std::string::npos) << out;
  EXPECT_NE(out.find("status=PGRES_PIPELINE_ABORTED"), std::string::npos) << out;
  EXPECT_NE(out.find("field id type=23 mod=-1 size=4 format=0\n field v type=25 mod=-1 size=-1 format=0\n row '3' 'three'\n"),
            std::string::npos)
      << out;
}

TEST(Libpq, FlushRequestEmptyQueriesAndParameterStatus) {
  std::string out;
  compare(
      [](PGconn* c) {
        std::string s;
        // A Flush ('H') inside a pipeline: the first result must arrive before any Sync.
        if (PQenterPipelineMode(c) != 1) return std::string("cannot enter pipeline mode");
        PQsendQueryParams(c, "SELECT 'flushed'", 0, nullptr, nullptr, nullptr, nullptr, 0);
        PQsendFlushRequest(c);
        PQflush(c);
        pollfd pfd{PQsocket(c), POLLIN, 0};
        const int ready = poll(&pfd, 1, 3000);
        s += "readable before sync: " + std::to_string(ready) + "\n";
        PGresult* first = PQgetResult(c);
        s += dump(first);
        PQclear(first);
        PQclear(PQgetResult(c));  // the NULL ending the first query's results
        PQpipelineSync(c);
        while (PGresult* r = PQgetResult(c)) {
          const bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
          s += dump(r);
          PQclear(r);
          if (sync) break;
        }
        PQexitPipelineMode(c);
        // Empty queries: EmptyQueryResponse ('I') instead of CommandComplete.
        for (const char* q : {"", " ", "-- only a comment", ";"}) {
          Result r = exec(c, q);
          s += std::string("empty '") + q + "': " + dump(r.get());
        }
        const char* none[] = {nullptr};
        Result e(PQexecParams(c, "", 0, nullptr, none, nullptr, nullptr, 0));
        s += "empty extended: " + dump(e.get());
        // ParameterStatus reported after SET reaches the client.
        exec_ok(c, "SET application_name = 'renamed-e2e'");
        exec_ok(c, "SET TimeZone = 'Asia/Kolkata'");
        exec_ok(c, "SET DateStyle = 'SQL, DMY'");
        for (const char* name : {"application_name", "TimeZone", "DateStyle", "server_encoding", "client_encoding",
                                 "integer_datetimes", "standard_conforming_strings", "is_superuser"}) {
          const char* v = PQparameterStatus(c, name);
          s += std::string("param ") + name + "=" + (v ? v : "(none)") + "\n";
        }
        Result ts = exec(c, "SELECT '2024-01-02 03:04:05+00'::timestamptz");
        s += dump(ts.get());
        return s;
      },
      &out);
  EXPECT_NE(out.find("readable before sync: 1\nstatus=PGRES_TUPLES_OK"), std::string::npos) << out;
  EXPECT_NE(out.find("empty '': status=PGRES_EMPTY_QUERY"), std::string::npos) << out;
  EXPECT_NE(out.find("empty extended: status=PGRES_EMPTY_QUERY"), std::string::npos) << out;
  EXPECT_NE(out.find("param application_name=renamed-e2e"), std::string::npos) << out;
  EXPECT_NE(out.find("param TimeZone=Asia/Kolkata"), std::string::npos) << out;
  EXPECT_NE(out.find("row '02/01/2024 08:34:05 IST'"), std::string::npos) << out;
}

TEST(Libpq, SingleRowMode) {
  std::string out;
  compare(
      [](PGconn* c) {
        if (!PQsendQuery(c, "SELECT g, repeat('x', g % 100) AS pad FROM generate_series(1, 20000) g"))
          return std::string("send failed");
        if (!PQsetSingleRowMode(c)) return std::string("single-row mode refused");
        long rows = 0, sum = 0, bytes = 0;
        std::string s;
        while (PGresult* r = PQgetResult(c)) {
          if (PQresultStatus(r) == PGRES_SINGLE_TUPLE) {
            ++rows;
            sum += std::atol(PQgetvalue(r, 0, 0));
            bytes += PQgetlength(r, 0, 1);
          } else {
            s += dump(r);
          }
          PQclear(r);
        }
        return s + "rows=" + std::to_string(rows) + " sum=" + std::to_string(sum) + " bytes=" + std::to_string(bytes);
      },
      &out);
  EXPECT_NE(out.find("rows=20000 sum=200010000 bytes=990000"), std::string::npos) << out;
}

std::string copy_out(PGconn* c, const std::string& sql) {
  Result r = exec(c, sql);
  if (PQresultStatus(r.get()) != PGRES_COPY_OUT) return "COPY OUT did not start: " + dump(r.get());
  std::string data;
  char* buf = nullptr;
  int n;
  while ((n = PQgetCopyData(c, &buf, 0)) > 0) {
    data.append(buf, n);
    PQfreemem(buf);
  }
  Result end(PQgetResult(c));
  return data + "|end: " + dump(end.get());
}

TEST(Libpq, CopyInAndOut) {
  // Rows of growing width, one of them far over the proxy's 64 KiB streaming threshold, sent
  // in chunks that split rows at arbitrary points.
  std::string payload;
  for (int i = 1; i <= 3000; ++i) payload += std::to_string(i) + "\t" + std::string(i % 50, 'a' + i % 26) + "\tü✓\n";
  payload += "3001\t" + std::string(300000, 'z') + "\t\\N\n";
  std::string out;
  compare(
      [&](PGconn* c) {
        std::string s;
        exec_ok(c, "DROP TABLE IF EXISTS copy_libpq");
        exec_ok(c, "CREATE TABLE copy_libpq (id int, pad text, u text)");
        Result r = exec(c, "COPY copy_libpq FROM STDIN");
        if (PQresultStatus(r.get()) != PGRES_COPY_IN) return "COPY IN did not start: " + dump(r.get());
        size_t pos = 0, step = 1;
        while (pos < payload.size()) {
          const size_t n = std::min(step, payload.size() - pos);
          if (PQputCopyData(c, payload.data() + pos, static_cast<int>(n)) != 1) return s + "putCopyData failed";
          pos += n;
          step = step * 3 + 7;  // 1, 10, 37, ... then very large chunks
        }
        if (PQputCopyEnd(c, nullptr) != 1) return s + "putCopyEnd failed";
        Result done(PQgetResult(c));
        s += dump(done.get());
        Result check = exec(c, "SELECT count(*), sum(id), sum(length(pad)), count(u) FROM copy_libpq");
        s += dump(check.get());
        s += copy_out(c, "COPY (SELECT * FROM copy_libpq ORDER BY id) TO STDOUT");
        // A client-side abort of COPY IN: the server reports the client's message.
        Result r2 = exec(c, "COPY copy_libpq FROM STDIN");
        PQputCopyData(c, "9999\tpartial\t", 13);
        PQputCopyEnd(c, "aborted by the e2e test");
        Result aborted(PQgetResult(c));
        s += dump(aborted.get());
        Result after = exec(c, "SELECT count(*) FROM copy_libpq");
        s += dump(after.get());
        exec_ok(c, "DROP TABLE copy_libpq");
        return s;
      },
      &out);
  EXPECT_NE(out.find("cmd=COPY 3001"), std::string::npos) << out.substr(0, 2000);
  EXPECT_NE(out.find(payload + "|end: status=PGRES_COMMAND_OK"), std::string::npos)
      << "COPY OUT through the proxy did not return what COPY IN sent";
  EXPECT_NE(out.find("sqlstate=57014 message=COPY from stdin failed: aborted by the e2e test"), std::string::npos);
}

TEST(Libpq, NoticesAndNotifications) {
  auto scenario = [](PGconn* c) {
    std::string notices;
    PQsetNoticeReceiver(
        c,
        [](void* arg, const PGresult* r) {
          auto* out = static_cast<std::string*>(arg);
          *out += field(r, PG_DIAG_SEVERITY_NONLOCALIZED) + "/" + field(r, PG_DIAG_SQLSTATE) + "/" +
                  field(r, PG_DIAG_MESSAGE_PRIMARY) + "/" + field(r, PG_DIAG_MESSAGE_DETAIL) + "/" +
                  field(r, PG_DIAG_MESSAGE_HINT) + "/" + field(r, PG_DIAG_CONTEXT) + "\n";
        },
        &notices);
    Result r = exec(c,
                    "DO $$ BEGIN RAISE NOTICE 'n1 %', 1; RAISE WARNING 'w ✓' USING DETAIL = 'd', HINT = 'h';"
                    " RAISE INFO 'info' USING ERRCODE = 'P0001'; END $$");
    std::string s = dump(r.get()) + notices;
    PQsetNoticeReceiver(c, [](void*, const PGresult*) {}, nullptr);
    return s;
  };
  std::string out;
  compare(scenario, &out);
  EXPECT_NE(out.find("NOTICE/00000/n1 1/"), std::string::npos) << out;
  EXPECT_NE(out.find("WARNING/01000/w ✓/d/h/"), std::string::npos) << out;
  EXPECT_NE(out.find("INFO/P0001/info//"), std::string::npos) << out;

  // A notification from another session reaches an idle listener through the proxy.
  Conn listener = connect(proxy_port());
  Conn sender = connect(proxy_port());
  ASSERT_EQ(PQstatus(listener.get()), CONNECTION_OK);
  exec_ok(listener.get(), "LISTEN e2e_libpq");
  Result pid = exec(sender.get(), "SELECT pg_backend_pid()");
  exec_ok(sender.get(), "NOTIFY e2e_libpq, 'payload ✓'");
  PGnotify* n = nullptr;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!n && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{PQsocket(listener.get()), POLLIN, 0};
    poll(&pfd, 1, 100);
    PQconsumeInput(listener.get());
    n = PQnotifies(listener.get());
  }
  ASSERT_NE(n, nullptr) << "no notification through the proxy within 3 s";
  EXPECT_STREQ(n->relname, "e2e_libpq");
  EXPECT_STREQ(n->extra, "payload ✓");
  // The notifying pid is the server's (the proxy does not rewrite it).
  EXPECT_EQ(n->be_pid, std::atoi(PQgetvalue(pid.get(), 0, 0)));
  PQfreemem(n);
}

TEST(Libpq, LargeValues) {
  const std::string big(3 << 20, 'q');
  std::string out;
  compare(
      [&](PGconn* c) {
        const char* values[] = {big.c_str()};
        Result r(PQexecParams(c, "SELECT length($1::text), md5($1::text), $1::text = repeat('q', 3145728)", 1, nullptr,
                              values, nullptr, nullptr, 0));
        std::string s = dump(r.get());
        Result r2 = exec(c, "SELECT md5(string_agg(repeat(chr(65 + g % 26), 100000 + g), '')),"
                            " length(string_agg(repeat(chr(65 + g % 26), 100000 + g), '')) FROM generate_series(1, 40) g");
        s += dump(r2.get());
        Result r3 = exec(c, "SELECT g, repeat(chr(65 + g % 26), 100000 + g) FROM generate_series(1, 40) g");
        long total = 0;
        for (int i = 0; i < PQntuples(r3.get()); ++i) total += PQgetlength(r3.get(), i, 1);
        s += "rows=" + std::to_string(PQntuples(r3.get())) + " bytes=" + std::to_string(total) + "\n";
        return s;
      },
      &out);
  EXPECT_NE(out.find("row '3145728'"), std::string::npos) << out.substr(0, 500);
  EXPECT_NE(out.find("' 't'"), std::string::npos) << out.substr(0, 500);
  EXPECT_NE(out.find("rows=40 bytes=4000820"), std::string::npos) << out;
}

TEST(Libpq, CancelRunningStatement) {
  Conn c = connect(proxy_port());
  ASSERT_EQ(PQstatus(c.get()), CONNECTION_OK);
  ASSERT_EQ(PQsendQuery(c.get(), "SELECT pg_sleep(30)"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  PGcancel* cancel = PQgetCancel(c.get());
  ASSERT_NE(cancel, nullptr);
  char err[256] = {0};
  EXPECT_EQ(PQcancel(cancel, err, sizeof err), 1) << err;
  PQfreeCancel(cancel);
  Result r(PQgetResult(c.get()));
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(PQresultStatus(r.get()), PGRES_FATAL_ERROR);
  EXPECT_EQ(field(r.get(), PG_DIAG_SQLSTATE), "57014") << dump(r.get());
  EXPECT_EQ(field(r.get(), PG_DIAG_MESSAGE_PRIMARY), "canceling statement due to user request");
  EXPECT_LT(ms, 1000) << "the cancel took " << ms << " ms to take effect";
  std::printf("cancel took effect after %lld ms\n", static_cast<long long>(ms));
  while (PGresult* rest = PQgetResult(c.get())) PQclear(rest);
  // The session is still usable after the cancel.
  Result after = exec(c.get(), "SELECT 'alive'");
  EXPECT_EQ(dump(after.get()).find("row 'alive'") != std::string::npos, true) << dump(after.get());
}

TEST(Libpq, BackendKeyDataNamesTheServersPid) {
  Conn proxy = connect(proxy_port());
  Conn direct = connect(direct_port());
  ASSERT_EQ(PQstatus(proxy.get()), CONNECTION_OK);
  Result rp = exec(proxy.get(), "SELECT pg_backend_pid()");
  Result rd = exec(direct.get(), "SELECT pg_backend_pid()");
  ASSERT_EQ(PQresultStatus(rp.get()), PGRES_TUPLES_OK);
  // Through the proxy as directly, PQbackendPID() is pg_backend_pid(): the pid is public
  // anyway (pg_stat_activity), the random secret is what guards cancels.
  EXPECT_EQ(PQbackendPID(direct.get()), std::atoi(PQgetvalue(rd.get(), 0, 0)));
  EXPECT_EQ(PQbackendPID(proxy.get()), std::atoi(PQgetvalue(rp.get(), 0, 0)));
  // Two sessions, two server processes.
  Conn proxy2 = connect(proxy_port());
  EXPECT_NE(PQbackendPID(proxy.get()), PQbackendPID(proxy2.get()));
}

TEST(Libpq, WrongPasswordGivesTheServersError) {
  auto strip = [](std::string m) {
    // 'connection to server at "127.0.0.1", port N failed: ' names the port dialled.
    const auto pos = m.find("failed: ");
    return pos == std::string::npos ? m : m.substr(pos + 8);
  };
  Conn d(PQconnectdb(conninfo(direct_port(), "analyst", "wrong-password").c_str()));
  Conn p(PQconnectdb(conninfo(proxy_port(), "analyst", "wrong-password").c_str()));
  EXPECT_EQ(PQstatus(d.get()), CONNECTION_BAD);
  EXPECT_EQ(PQstatus(p.get()), CONNECTION_BAD);
  EXPECT_EQ(strip(PQerrorMessage(d.get())), strip(PQerrorMessage(p.get())));
  EXPECT_NE(strip(PQerrorMessage(p.get())).find("password authentication failed for user \"analyst\""),
            std::string::npos)
      << PQerrorMessage(p.get());
}

}  // namespace

// The dev warehouse (deploy/dev/warehouse.sh) for tests that check against it: a libpq
// connection as etl when BLUESHIFT_DEV_PORT is set and it answers; otherwise the test skips.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace blueshift::policies::testing {

class DevWarehouse : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* port = std::getenv("BLUESHIFT_DEV_PORT");
    if (!port || !*port) GTEST_SKIP() << "BLUESHIFT_DEV_PORT is not set (start deploy/dev/warehouse.sh and export it)";
    conninfo_ = std::string("host=127.0.0.1 port=") + port + " dbname=dev user=etl password=etl-dev-pw connect_timeout=5";
    conn_.reset(PQconnectdb(conninfo_.c_str()));
    if (PQstatus(conn_.get()) != CONNECTION_OK) {
      GTEST_SKIP() << "the dev warehouse on port " << port << " does not answer: " << PQerrorMessage(conn_.get());
    }
  }

  // The first column of every row of an independent query.
  std::vector<std::string> column(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_.get(), sql.c_str()), &PQclear);
    EXPECT_EQ(PQresultStatus(r.get()), PGRES_TUPLES_OK) << sql << ": " << PQerrorMessage(conn_.get());
    std::vector<std::string> out;
    for (int i = 0; i < PQntuples(r.get()); ++i) out.push_back(PQgetvalue(r.get(), i, 0));
    return out;
  }

  std::string conninfo_;
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_{nullptr, &PQfinish};
};

}  // namespace blueshift::policies::testing

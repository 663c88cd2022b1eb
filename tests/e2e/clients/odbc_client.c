/* An ODBC client (unixODBC + psqlODBC) that runs one fixed scenario against the DSN named on
 * the command line and prints a transcript of everything it observes: parameterised inserts
 * and selects, column descriptions, NULLs, UTF-16 parameters, an error with its SQLSTATE,
 * manual-commit transactions, row counts and a catalog call. odbc.sh runs it directly and
 * through the proxy and compares the transcripts.
 * Usage: odbc_client DSN   (user and password come from the DSN) */
#include <sql.h>
#include <sqlext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static SQLHENV env;
static SQLHDBC dbc;
static int failures;

static void diag(const char *what, SQLSMALLINT type, SQLHANDLE handle) {
  SQLCHAR state[6], text[1024];
  SQLINTEGER native;
  SQLSMALLINT len;
  for (SQLSMALLINT i = 1; SQLGetDiagRec(type, handle, i, state, &native, text, sizeof text, &len) == SQL_SUCCESS;
       ++i) {
    /* Keep only the first line: psqlODBC appends driver-internal context after it. */
    char *nl = strchr((char *)text, '\n');
    if (nl) *nl = '\0';
    printf("diag %s: state=%s native=%d text=%s\n", what, state, (int)native, text);
  }
}

static int check(SQLRETURN rc, const char *what, SQLSMALLINT type, SQLHANDLE handle) {
  if (rc == SQL_SUCCESS || rc == SQL_NO_DATA) return 1;
  if (rc == SQL_SUCCESS_WITH_INFO) {
    diag(what, type, handle);
    return 1;
  }
  printf("error in %s (rc=%d)\n", what, (int)rc);
  diag(what, type, handle);
  return 0;
}

#define MUST(rc, what, type, h)               \
  do {                                        \
    if (!check((rc), (what), (type), (h))) {  \
      ++failures;                             \
    }                                         \
  } while (0)

static void print_result(SQLHSTMT st, const char *label) {
  SQLSMALLINT cols = 0;
  SQLNumResultCols(st, &cols);
  printf("result %s: %d columns\n", label, (int)cols);
  for (SQLUSMALLINT c = 1; c <= cols; ++c) {
    SQLCHAR name[128];
    SQLSMALLINT name_len, type, digits, nullable;
    SQLULEN size;
    SQLDescribeCol(st, c, name, sizeof name, &name_len, &type, &size, &digits, &nullable);
    printf("  column %s type=%d size=%lu digits=%d nullable=%d\n", name, (int)type, (unsigned long)size,
           (int)digits, (int)nullable);
  }
  long rows = 0;
  SQLRETURN rc;
  while ((rc = SQLFetch(st)) == SQL_SUCCESS || rc == SQL_SUCCESS_WITH_INFO) {
    ++rows;
    printf("  row");
    for (SQLUSMALLINT c = 1; c <= cols; ++c) {
      SQLLEN type = 0;
      SQLColAttribute(st, c, SQL_DESC_CONCISE_TYPE, NULL, 0, NULL, &type);
      SQLLEN ind;
      if (type == SQL_WVARCHAR || type == SQL_WCHAR || type == SQL_WLONGVARCHAR) {
        SQLWCHAR w[512];
        SQLGetData(st, c, SQL_C_WCHAR, w, sizeof w, &ind);
        if (ind == SQL_NULL_DATA) {
          printf(" NULL");
          continue;
        }
        printf(" u16[");
        for (SQLLEN i = 0; i < ind / (SQLLEN)sizeof(SQLWCHAR); ++i) printf("%s%04x", i ? " " : "", (unsigned)w[i]);
        printf("]");
      } else {
        SQLCHAR v[512];
        SQLGetData(st, c, SQL_C_CHAR, v, sizeof v, &ind);
        if (ind == SQL_NULL_DATA)
          printf(" NULL");
        else
          printf(" '%s'", v);
      }
    }
    printf("\n");
  }
  if (rc != SQL_NO_DATA) MUST(rc, "fetch", SQL_HANDLE_STMT, st);
  printf("  (%ld rows)\n", rows);
  SQLCloseCursor(st);
}

static void exec_direct(SQLHSTMT st, const char *sql) {
  printf("exec %s\n", sql);
  SQLRETURN rc = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
  if (rc == SQL_ERROR) {
    diag("exec", SQL_HANDLE_STMT, st);
    SQLFreeStmt(st, SQL_CLOSE);
    return;
  }
  SQLSMALLINT cols = 0;
  SQLNumResultCols(st, &cols);
  if (cols > 0) {
    print_result(st, sql);
  } else {
    SQLLEN count = -2;
    SQLRowCount(st, &count);
    printf("  row count %ld\n", (long)count);
  }
  SQLFreeStmt(st, SQL_CLOSE);
}

/* UTF-8 literal to SQLWCHAR (UTF-16), enough for the BMP and surrogate pairs. */
static SQLLEN to_utf16(const char *s, SQLWCHAR *out) {
  SQLLEN n = 0;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned cp;
    if (*p < 0x80) cp = *p++;
    else if ((*p & 0xe0) == 0xc0) { cp = (*p & 0x1f) << 6 | (p[1] & 0x3f); p += 2; }
    else if ((*p & 0xf0) == 0xe0) { cp = (*p & 0x0f) << 12 | (p[1] & 0x3f) << 6 | (p[2] & 0x3f); p += 3; }
    else { cp = (*p & 0x07) << 18 | (p[1] & 0x3f) << 12 | (p[2] & 0x3f) << 6 | (p[3] & 0x3f); p += 4; }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      out[n++] = (SQLWCHAR)(0xd800 + (cp >> 10));
      out[n++] = (SQLWCHAR)(0xdc00 + (cp & 0x3ff));
    } else {
      out[n++] = (SQLWCHAR)cp;
    }
  }
  out[n] = 0;
  return n * (SQLLEN)sizeof(SQLWCHAR);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DSN\n", argv[0]);
    return 2;
  }
  SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env);
  SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
  SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
  SQLRETURN rc = SQLConnect(dbc, (SQLCHAR *)argv[1], SQL_NTS, NULL, 0, NULL, 0);
  if (!SQL_SUCCEEDED(rc)) {
    printf("connect to %s failed\n", argv[1]);
    diag("connect", SQL_HANDLE_DBC, dbc);
    return 1;
  }
  SQLCHAR dbms[64], ver[64];
  SQLGetInfo(dbc, SQL_DBMS_NAME, dbms, sizeof dbms, NULL);
  SQLGetInfo(dbc, SQL_DBMS_VER, ver, sizeof ver, NULL);
  printf("connected: %s %s\n", dbms, ver);

  SQLHSTMT st;
  SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st);
  exec_direct(st, "DROP TABLE IF EXISTS odbc_t");
  exec_direct(st, "CREATE TABLE odbc_t (id int PRIMARY KEY, name varchar(50), amount numeric(10,2), "
                  "at timestamp, u text)");

  /* Parameterised insert, executed once per row with rebound values. */
  MUST(SQLPrepare(st, (SQLCHAR *)"INSERT INTO odbc_t VALUES (?, ?, ?, ?, ?)", SQL_NTS), "prepare insert",
       SQL_HANDLE_STMT, st);
  SQLINTEGER id;
  SQLCHAR name[51], amount[20];
  SQL_TIMESTAMP_STRUCT at;
  SQLWCHAR u[64];
  SQLLEN id_ind = 0, name_ind = SQL_NTS, amount_ind = SQL_NTS, at_ind = 0, u_ind = 0;
  SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_SLONG, SQL_INTEGER, 0, 0, &id, 0, &id_ind);
  SQLBindParameter(st, 2, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 50, 0, name, sizeof name, &name_ind);
  SQLBindParameter(st, 3, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_DECIMAL, 10, 2, amount, sizeof amount, &amount_ind);
  SQLBindParameter(st, 4, SQL_PARAM_INPUT, SQL_C_TYPE_TIMESTAMP, SQL_TYPE_TIMESTAMP, 26, 6, &at, 0, &at_ind);
  SQLBindParameter(st, 5, SQL_PARAM_INPUT, SQL_C_WCHAR, SQL_WVARCHAR, 60, 0, u, sizeof u, &u_ind);
  static const char *names[] = {"alpha", "beta's", "gamma \"quoted\"", "", NULL, "semi;colon ? mark"};
  static const char *amounts[] = {"1.50", "-2.25", "99999999.99", "0", NULL, "3.14"};
  static const char *texts[] = {"héllo", "日本語", "🚀 rocket", "", NULL, "plain"};
  for (int i = 0; i < 6; ++i) {
    id = i + 1;
    if (names[i]) { strcpy((char *)name, names[i]); name_ind = SQL_NTS; } else name_ind = SQL_NULL_DATA;
    if (amounts[i]) { strcpy((char *)amount, amounts[i]); amount_ind = SQL_NTS; } else amount_ind = SQL_NULL_DATA;
    if (texts[i]) u_ind = to_utf16(texts[i], u); else u_ind = SQL_NULL_DATA;
    memset(&at, 0, sizeof at);
    at.year = 2024; at.month = 1 + i; at.day = 2 + i; at.hour = 3; at.minute = 4 + i; at.second = 5;
    at.fraction = (SQLUINTEGER)i * 1000u;  /* nanoseconds */
    at_ind = i == 4 ? SQL_NULL_DATA : 0;
    rc = SQLExecute(st);
    MUST(rc, "execute insert", SQL_HANDLE_STMT, st);
    SQLLEN count = -2;
    SQLRowCount(st, &count);
    printf("insert %d: rc=%d row count %ld\n", i + 1, (int)rc, (long)count);
  }
  /* A duplicate key: the error and its SQLSTATE as the application sees them. */
  id = 1;
  rc = SQLExecute(st);
  printf("duplicate insert rc=%d\n", (int)rc);
  if (rc == SQL_ERROR) diag("duplicate insert", SQL_HANDLE_STMT, st);
  SQLFreeStmt(st, SQL_RESET_PARAMS);
  SQLFreeStmt(st, SQL_CLOSE);

  /* Parameterised select. */
  MUST(SQLPrepare(st, (SQLCHAR *)"SELECT id, name, amount, at, u, u IS NULL AS u_null FROM odbc_t WHERE id >= ? AND "
                                 "coalesce(name, '') <> ? ORDER BY id",
                  SQL_NTS),
       "prepare select", SQL_HANDLE_STMT, st);
  SQLINTEGER min_id = 2;
  SQLCHAR not_name[] = "beta's";
  SQLLEN nts = SQL_NTS, zero = 0;
  SQLBindParameter(st, 1, SQL_PARAM_INPUT, SQL_C_SLONG, SQL_INTEGER, 0, 0, &min_id, 0, &zero);
  SQLBindParameter(st, 2, SQL_PARAM_INPUT, SQL_C_CHAR, SQL_VARCHAR, 50, 0, not_name, sizeof not_name, &nts);
  for (int pass = 0; pass < 2; ++pass) {
    MUST(SQLExecute(st), "execute select", SQL_HANDLE_STMT, st);
    print_result(st, "select params");
    min_id = 5;
  }
  SQLFreeStmt(st, SQL_RESET_PARAMS);
  SQLFreeStmt(st, SQL_CLOSE);

  exec_direct(st, "SELECT 1 / 0");
  exec_direct(st, "SELECT no_such_column FROM odbc_t");
  exec_direct(st, "UPDATE odbc_t SET amount = amount * 2 WHERE amount < 1000");
  exec_direct(st, "SELECT count(*), sum(g), max(md5(g::text)) FROM generate_series(1, 10000) g");

  /* Manual commit: a rolled-back and a committed insert. */
  MUST(SQLSetConnectAttr(dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0), "autocommit off",
       SQL_HANDLE_DBC, dbc);
  exec_direct(st, "INSERT INTO odbc_t (id, name) VALUES (100, 'rolled back')");
  MUST(SQLEndTran(SQL_HANDLE_DBC, dbc, SQL_ROLLBACK), "rollback", SQL_HANDLE_DBC, dbc);
  exec_direct(st, "INSERT INTO odbc_t (id, name) VALUES (101, 'committed')");
  exec_direct(st, "SELECT 1 / 0");
  MUST(SQLEndTran(SQL_HANDLE_DBC, dbc, SQL_ROLLBACK), "rollback after error", SQL_HANDLE_DBC, dbc);
  exec_direct(st, "INSERT INTO odbc_t (id, name) VALUES (102, 'committed')");
  MUST(SQLEndTran(SQL_HANDLE_DBC, dbc, SQL_COMMIT), "commit", SQL_HANDLE_DBC, dbc);
  MUST(SQLSetConnectAttr(dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_ON, 0), "autocommit on",
       SQL_HANDLE_DBC, dbc);
  exec_direct(st, "SELECT id, name FROM odbc_t WHERE id >= 100 ORDER BY id");

  /* A catalog function: the driver's own catalog queries through the proxy. */
  MUST(SQLColumns(st, NULL, 0, (SQLCHAR *)"public", SQL_NTS, (SQLCHAR *)"odbc_t", SQL_NTS, NULL, 0), "SQLColumns",
       SQL_HANDLE_STMT, st);
  {
    long n = 0;
    SQLCHAR col[128], type_name[128];
    SQLLEN ind;
    while (SQL_SUCCEEDED(SQLFetch(st))) {
      SQLGetData(st, 4, SQL_C_CHAR, col, sizeof col, &ind);
      SQLGetData(st, 6, SQL_C_CHAR, type_name, sizeof type_name, &ind);
      printf("catalog column %s %s\n", col, type_name);
      ++n;
    }
    printf("catalog columns: %ld\n", n);
    SQLCloseCursor(st);
  }
  exec_direct(st, "DROP TABLE odbc_t");
  SQLFreeHandle(SQL_HANDLE_STMT, st);
  SQLDisconnect(dbc);
  SQLFreeHandle(SQL_HANDLE_DBC, dbc);
  SQLFreeHandle(SQL_HANDLE_ENV, env);
  printf("unexpected failures: %d\n", failures);
  return failures ? 1 : 0;
}

// Policies through pgJDBC (Debian libpostgresql-jdbc-java), as analyst and etl, against a
// private proxy and directly. PreparedStatements with prepareThreshold=1 (server-side named
// statements from the first execution): compliant ones with parameters return the same rows
// as direct; refused ones throw SQLException 42501 naming the rule, and the connection stays
// usable; max_partitions is decided at Bind; etl is exempt.
// Run through harness.py, which starts the proxy and exports BLUESHIFT_POLICY_PROXY_PORT:
//   python3 harness.py with-proxy 6706 -- java -cp /usr/share/java/postgresql.jar PolicyTest.java
// Exits non-zero on any failure.
import java.sql.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

public class PolicyTest {
  static final String DIRECT = System.getenv("BLUESHIFT_DEV_PORT");
  static final String PROXY = System.getenv("BLUESHIFT_POLICY_PROXY_PORT");
  static final String RULE_FILTER = "analysts-must-filter-partitions";
  static final String RULE_MAX = "analysts-max-12-partitions";
  static final String RULE_STAR = "no-select-star-on-lake";
  static final String RULE_DENY = "analysts-no-ddl-or-delete-on-public";
  static final String BOTH =
      "select count(*), sum(amount) from spectrum_schema.sales where year = ? and month = ?";
  static final String YEAR_ONLY = "select count(*) from spectrum_schema.sales where year = ?";
  static final String YEAR_RANGE = "select count(*), sum(amount) from spectrum_schema.sales "
      + "where year between ? and ? and month between 1 and 12";
  static int failures = 0;
  static int checks = 0;

  static Connection connect(String port, String user) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", user.equals("etl") ? "etl-dev-pw" : "analyst-dev-pw");
    p.setProperty("prepareThreshold", "1");
    p.setProperty("ApplicationName", "e2e_policies_jdbc");
    p.setProperty("connectTimeout", "10");
    p.setProperty("socketTimeout", "60");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p);
  }

  static void check(boolean ok, String what) {
    checks++;
    if (!ok) {
      failures++;
      System.out.println("FAIL: " + what);
    }
  }

  static List<String> rows(ResultSet rs) throws SQLException {
    List<String> out = new ArrayList<>();
    int n = rs.getMetaData().getColumnCount();
    while (rs.next()) {
      StringBuilder b = new StringBuilder();
      for (int i = 1; i <= n; i++) b.append(i > 1 ? "|" : "").append(rs.getString(i));
      out.add(b.toString());
    }
    return out;
  }

  interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  static List<String> query(Connection c, String sql, Binder b) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      b.bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        return rows(rs);
      }
    }
  }

  static List<String> direct(String user, String sql, Binder b) throws SQLException {
    try (Connection d = connect(DIRECT, user)) {
      return query(d, sql, b);
    }
  }

  static Binder ints(int... v) {
    return ps -> {
      for (int i = 0; i < v.length; i++) ps.setInt(i + 1, v[i]);
    };
  }

  // Runs sql with the values through the proxy on c and directly; the rows must be equal.
  static void same(Connection c, String user, String what, String sql, Binder b) {
    try {
      List<String> want = direct(user, sql, b);
      List<String> got = query(c, sql, b);
      check(!want.isEmpty() && got.equals(want), what + ": proxy " + got + " vs direct " + want);
    } catch (SQLException e) {
      check(false, what + ": " + e.getSQLState() + " " + e.getMessage());
    }
  }

  // Runs sql through the proxy; it must be refused by rule.
  static void refused(Connection c, String what, String sql, Binder b, String rule) {
    try {
      List<String> got = query(c, sql, b);
      check(false, what + ": not refused, returned " + got);
    } catch (SQLException e) {
      check("42501".equals(e.getSQLState()), what + ": SQLState " + e.getSQLState() + ": " + e.getMessage());
      String m = String.valueOf(e.getMessage());
      check(m.contains("blueshift:") && m.contains("rule \"" + rule + "\"")
              && m.contains("spectrum_schema.sales"),
          what + ": message does not name the rule and table: " + m);
    }
  }

  // SELECT * over the lake with a partition filter: a warning (01000) naming the rule, and
  // the same rows as direct.
  static void selectStar(Connection c) {
    String sql = "select * from spectrum_schema.sales where year = ? and month = ? order by sale_id";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(1, 2024);
      ps.setInt(2, 3);
      try (ResultSet rs = ps.executeQuery()) {
        List<String> got = rows(rs);
        List<String> want = direct("analyst", sql, ints(2024, 3));
        check(got.equals(want) && !got.isEmpty(), "SELECT * rows: " + got.size() + " vs " + want.size());
      }
      SQLWarning w = ps.getWarnings();
      check(w != null && "01000".equals(w.getSQLState()) && w.getMessage().contains(RULE_STAR),
          "SELECT * warning: " + (w == null ? "none" : w.getSQLState() + " " + w.getMessage()));
    } catch (SQLException e) {
      check(false, "SELECT * with a partition filter: " + e.getSQLState() + " " + e.getMessage());
    }
  }

  public static void main(String[] args) throws Exception {
    if (DIRECT == null || PROXY == null) {
      System.out.println("FAIL: BLUESHIFT_DEV_PORT / BLUESHIFT_POLICY_PROXY_PORT not set (run via harness.py)");
      System.exit(1);
    }
    try (Connection c = connect(PROXY, "analyst")) {
      // Compliant, with parameters, several times (the statement is server-prepared).
      for (int[] v : new int[][] {{2024, 3}, {2023, 12}, {2022, 1}, {2024, 3}}) {
        same(c, "analyst", "year=" + v[0] + " month=" + v[1], BOTH, ints(v));
      }
      same(c, "analyst", "setLong", BOTH, ps -> { ps.setLong(1, 2024); ps.setLong(2, 6); });
      same(c, "analyst", "setObject", BOTH, ps -> { ps.setObject(1, 2023); ps.setObject(2, 8); });
      same(c, "analyst", "literal month", "select count(*) from spectrum_schema.sales where year = ? and month = 9",
          ints(2024));

      // Refused at Parse (no value bounds month) and at Bind (too many partitions).
      refused(c, "year only", YEAR_ONLY, ints(2024), RULE_FILTER);
      same(c, "analyst", "after a refusal", BOTH, ints(2024, 4));
      refused(c, "year only again", YEAR_ONLY, ints(2023), RULE_FILTER);
      same(c, "analyst", "max_partitions 12 at Bind", YEAR_RANGE, ints(2024, 2024));
      refused(c, "max_partitions 24 at Bind", YEAR_RANGE, ints(2023, 2024), RULE_MAX);
      same(c, "analyst", "after a Bind refusal", YEAR_RANGE, ints(2022, 2022));
      try (Statement s = c.createStatement()) {
        try {
          s.executeQuery("select count(*) from spectrum_schema.sales");
          check(false, "Statement unfiltered: not refused");
        } catch (SQLException e) {
          check("42501".equals(e.getSQLState()) && e.getMessage().contains(RULE_FILTER),
              "Statement unfiltered: " + e.getSQLState() + " " + e.getMessage());
        }
        try (ResultSet rs = s.executeQuery("select 1")) {
          check(rows(rs).equals(List.of("1")), "plain Statement after a refusal");
        }
      }

      // Metabase's metadata probes read nothing: no row, the columns, not refused (Statement
      // and server-prepared).
      try (Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT TRUE FROM \"spectrum_schema\".\"sales\" WHERE 1 <> 1 LIMIT 0")) {
        check(!rs.next() && rs.getMetaData().getColumnCount() == 1, "Metabase probe (Statement)");
      } catch (SQLException e) {
        check(false, "Metabase probe (Statement): " + e.getSQLState() + " " + e.getMessage());
      }
      for (int i = 0; i < 2; i++) {
        try (PreparedStatement ps = c.prepareStatement("SELECT * FROM spectrum_schema.sales WHERE 1 <> 1 LIMIT 0");
             ResultSet rs = ps.executeQuery()) {
          check(!rs.next() && rs.getMetaData().getColumnCount() == 6, "Metabase probe (prepared)");
        } catch (SQLException e) {
          check(false, "Metabase probe (prepared): " + e.getSQLState() + " " + e.getMessage());
        }
      }
      refused(c, "1 <> 1 OR true reads everything", "select count(*) from spectrum_schema.sales where 1 <> 1 or true",
          ps -> {}, RULE_FILTER);

      // In a transaction: the refusal fails it (25P02 next), rollback recovers.
      c.setAutoCommit(false);
      same(c, "analyst", "in a transaction", BOTH, ints(2024, 2));
      refused(c, "in a transaction", YEAR_ONLY, ints(2024), RULE_FILTER);
      try (Statement s = c.createStatement()) {
        s.executeQuery("select 1");
        check(false, "statement after a refusal in a transaction did not fail");
      } catch (SQLException e) {
        check("25P02".equals(e.getSQLState()), "after a refusal in a transaction: " + e.getSQLState());
      }
      c.rollback();
      same(c, "analyst", "after rollback", BOTH, ints(2024, 2));
      c.commit();
      c.setAutoCommit(true);

      // SELECT *: a warning, and the rows.
      selectStar(c);

      // DELETE on public: refused by the proxy.
      try (PreparedStatement ps = c.prepareStatement("delete from public.sales_fact where sale_id = ?")) {
        ps.setLong(1, 1);
        ps.executeUpdate();
        check(false, "analyst DELETE not refused");
      } catch (SQLException e) {
        check("42501".equals(e.getSQLState()) && e.getMessage().contains(RULE_DENY),
            "analyst DELETE: " + e.getSQLState() + " " + e.getMessage());
      }
      // The proxy's own settings, as a Statement and as a PreparedStatement (prepareThreshold=1).
      for (int i = 0; i < 3; i++) {
        List<String> version = query(c, "SHOW blueshift.version", ps -> {});
        check(version.size() == 1 && !version.get(0).isEmpty(), "SHOW blueshift.version: " + version);
      }
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("show blueshift.rules")) {
        check(rs.getMetaData().getColumnCount() == 4 && "name".equals(rs.getMetaData().getColumnName(1)),
            "SHOW blueshift.rules columns");
        check(rows(rs).toString().contains(RULE_FILTER), "SHOW blueshift.rules lists " + RULE_FILTER);
      }
      try (Statement st = c.createStatement()) {
        st.execute("show blueshift.no_such_setting");
        check(false, "SHOW of an unknown blueshift.* setting did not fail");
      } catch (SQLException e) {
        check("42704".equals(e.getSQLState()), "unknown blueshift.* setting: " + e.getSQLState());
      }
      check(c.isValid(5), "analyst connection valid at the end");
    }

    try (Connection c = connect(PROXY, "etl")) {
      same(c, "etl", "etl unfiltered (prepared)", "select count(*), sum(amount) from spectrum_schema.sales "
          + "where ? = ?", ints(1, 1));
      same(c, "etl", "etl year only", YEAR_ONLY, ints(2024));
      same(c, "etl", "etl 36 partitions", YEAR_RANGE, ints(2022, 2024));
      try (Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("select count(*), sum(amount) from spectrum_schema.sales")) {
        List<String> got = rows(rs);
        List<String> want;
        try (Connection d = connect(DIRECT, "etl"); Statement ds = d.createStatement();
             ResultSet drs = ds.executeQuery("select count(*), sum(amount) from spectrum_schema.sales")) {
          want = rows(drs);
        }
        check(got.equals(want), "etl unfiltered Statement: " + got + " vs " + want);
        check(s.getWarnings() == null, "etl got a warning");
      }
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("delete from public.sales_fact where sale_id = ?")) {
        List<String> id = direct("etl", "select min(sale_id) from public.sales_fact", ps2 -> {});
        ps.setLong(1, Long.parseLong(id.get(0)));
        check(ps.executeUpdate() == 1, "etl DELETE of one row");
      }
      c.rollback();
    }

    System.out.println(checks + " checks, " + failures + " failures");
    System.exit(failures == 0 ? 0 : 1);
  }
}

// PostgreSQL JDBC (Debian libpostgresql-jdbc-java) directly on the warehouse and through the
// proxy. Each scenario runs on both connections and returns a transcript; transcripts must
// be equal, and each check asserts what the scenario must have seen. Covers server-side
// prepared statements (prepareThreshold=1), batches, ResultSetMetaData, transactions and
// savepoints, CopyManager both ways, Statement.cancel() of pg_sleep, wrong passwords.
// Run: java -cp /usr/share/java/postgresql.jar JdbcTest.java  (through run_checked.sh)
// Exits non-zero on any failure.
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.*;
import org.postgresql.PGConnection;
import org.postgresql.PGStatement;
import org.postgresql.copy.CopyManager;

public class JdbcTest {
  static final String DB = System.getenv().getOrDefault("E2E_DB", "blueshift_e2e_clients");
  static final String DIRECT = System.getenv("BLUESHIFT_DEV_PORT");
  static final String PROXY = System.getenv("BLUESHIFT_TEST_PROXY_PORT");
  static int failures = 0;

  interface Scenario {
    List<String> run(Connection c) throws Exception;
  }

  static Connection connect(String port, String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", "analyst");
    p.setProperty("password", password);
    p.setProperty("prepareThreshold", "1");
    p.setProperty("ApplicationName", "e2e_clients_jdbc");
    p.setProperty("connectTimeout", "10");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + DB, p);
  }

  static void check(boolean ok, String what) {
    if (!ok) {
      failures++;
      System.out.println("FAIL: " + what);
    }
  }

  // Runs the scenario direct and through the proxy; returns the proxied transcript.
  static List<String> both(String name, Scenario s) {
    List<String> direct, proxy;
    try (Connection d = connect(DIRECT, "analyst-dev-pw")) {
      direct = s.run(d);
    } catch (Exception e) {
      failures++;
      System.out.println("FAIL: " + name + " direct: " + e);
      e.printStackTrace(System.out);
      return new ArrayList<>();
    }
    try (Connection p = connect(PROXY, "analyst-dev-pw")) {
      proxy = s.run(p);
    } catch (Exception e) {
      failures++;
      System.out.println("FAIL: " + name + " through the proxy: " + e);
      e.printStackTrace(System.out);
      return new ArrayList<>();
    }
    if (!direct.equals(proxy)) {
      failures++;
      System.out.println("FAIL: " + name + ": transcripts differ");
      for (int i = 0; i < Math.max(direct.size(), proxy.size()); i++) {
        String a = i < direct.size() ? direct.get(i) : "<missing>";
        String b = i < proxy.size() ? proxy.get(i) : "<missing>";
        if (!a.equals(b)) System.out.println("  line " + i + "\n    direct: " + a + "\n    proxy:  " + b);
      }
    } else {
      System.out.println("ok: " + name + " (" + proxy.size() + " transcript lines identical)");
    }
    return proxy;
  }

  static String err(SQLException e) {
    return "error " + e.getSQLState() + ": " + e.getMessage().split("\n")[0];
  }

  static void rows(ResultSet rs, List<String> out) throws SQLException {
    ResultSetMetaData md = rs.getMetaData();
    while (rs.next()) {
      StringBuilder b = new StringBuilder("row");
      for (int i = 1; i <= md.getColumnCount(); i++) b.append(" | ").append(rs.getString(i));
      out.add(b.toString());
    }
  }

  public static void main(String[] args) throws Exception {
    if (DIRECT == null || PROXY == null) {
      System.out.println("FAIL: BLUESHIFT_DEV_PORT / BLUESHIFT_TEST_PROXY_PORT not set");
      System.exit(1);
    }

    List<String> t = both("server-side prepared statements", c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT ?::int * 2, ?::text || ' ✓', ?::numeric")) {
        for (int i = 0; i < 5; i++) {
          ps.setInt(1, i);
          ps.setString(2, "v" + i);
          ps.setBigDecimal(3, new BigDecimal("1.25").multiply(BigDecimal.valueOf(i)));
          try (ResultSet rs = ps.executeQuery()) {
            rows(rs, out);
          }
          out.add("server prepared after " + (i + 1) + ": " + ps.unwrap(PGStatement.class).isUseServerPrepare());
        }
        ps.setString(1, "not a number");
        ps.setString(2, "x");
        ps.setNull(3, Types.NUMERIC);
        try {
          ps.executeQuery();
        } catch (SQLException e) {
          out.add(err(e));
        }
      }
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'S\\_%'"
               + " AND statement LIKE 'SELECT $1::int * 2%'")) {
        rows(rs, out);
      }
      return out;
    });
    check(t.contains("row | 8 | v4 ✓ | 5.00"), "prepared results: " + t);
    check(t.contains("server prepared after 1: true"), "prepareThreshold=1 uses a server-side statement");
    check(t.contains("row | 1"), "the named statement is listed in pg_prepared_statements");
    check(t.stream().anyMatch(l -> l.startsWith("error 22P02")), "bad parameter gives 22P02");

    t = both("batch inserts and metadata", c -> {
      List<String> out = new ArrayList<>();
      try (Statement st = c.createStatement()) {
        st.execute("DROP TABLE IF EXISTS jdbc_t");
        st.execute("CREATE TABLE jdbc_t (id int PRIMARY KEY, name varchar(40) NOT NULL, amount numeric(12,3),"
            + " at timestamptz, flag boolean, data bytea, tags text[])");
      }
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO jdbc_t VALUES (?, ?, ?, ?, ?, ?, ?)")) {
        for (int i = 1; i <= 500; i++) {
          ps.setInt(1, i);
          ps.setString(2, "name " + i + " ü");
          if (i % 7 == 0) ps.setNull(3, Types.NUMERIC); else ps.setBigDecimal(3, new BigDecimal(i).movePointLeft(3));
          ps.setTimestamp(4, new Timestamp(1700000000000L + i * 1000L));
          ps.setBoolean(5, i % 2 == 0);
          ps.setBytes(6, new byte[] {(byte) i, 0, (byte) 0xff});
          ps.setArray(7, c.createArrayOf("text", new String[] {"t" + i, null}));
          ps.addBatch();
        }
        int[] counts = ps.executeBatch();
        int sum = 0;
        for (int n : counts) sum += n;
        out.add("batch " + counts.length + " statements, " + sum + " rows");
        ps.setInt(1, 1);
        ps.setString(2, "dup");
        ps.addBatch();
        try {
          ps.executeBatch();
        } catch (BatchUpdateException e) {
          out.add("batch " + e.getSQLState() + " " + e.getMessage().split("\n")[0].replaceAll("Batch entry \\d+ ", ""));
        }
      }
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT id, name, amount, at, flag, data, tags, amount * 2 AS doubled"
               + " FROM jdbc_t WHERE id IN (1, 7, 500) ORDER BY id")) {
        ResultSetMetaData md = rs.getMetaData();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          out.add("column " + md.getColumnName(i) + " label=" + md.getColumnLabel(i) + " type=" + md.getColumnType(i)
              + " " + md.getColumnTypeName(i) + " class=" + md.getColumnClassName(i) + " precision="
              + md.getPrecision(i) + " scale=" + md.getScale(i) + " nullable=" + md.isNullable(i) + " table="
              + md.getTableName(i) + " autoinc=" + md.isAutoIncrement(i) + " size=" + md.getColumnDisplaySize(i));
        }
        rows(rs, out);
      }
      DatabaseMetaData dm = c.getMetaData();
      try (ResultSet rs = dm.getColumns(null, "public", "jdbc_t", null)) {
        while (rs.next()) out.add("dbmeta " + rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " "
            + rs.getInt("COLUMN_SIZE") + " " + rs.getString("IS_NULLABLE"));
      }
      try (ResultSet rs = dm.getPrimaryKeys(null, "public", "jdbc_t")) {
        while (rs.next()) out.add("pk " + rs.getString("COLUMN_NAME") + " " + rs.getString("PK_NAME"));
      }
      return out;
    });
    check(t.contains("batch 500 statements, 500 rows"), "batch insert count: " + t);
    check(t.stream().anyMatch(l -> l.startsWith("batch 23505")), "duplicate in batch gives 23505");
    check(t.stream().anyMatch(l -> l.startsWith("column amount label=amount type=2 numeric class=java.math.BigDecimal"
        + " precision=12 scale=3 nullable=1 table=jdbc_t")), "numeric(12,3) metadata");
    check(t.stream().anyMatch(l -> l.startsWith("column name label=name type=12 varchar") && l.contains("nullable=0")),
        "NOT NULL varchar metadata");
    check(t.contains("pk id jdbc_t_pkey"), "primary key metadata");
    check(t.stream().anyMatch(l -> l.startsWith("row | 7 | name 7 ü | null |")), "NULL numeric row");

    t = both("transactions", c -> {
      List<String> out = new ArrayList<>();
      try (Statement st = c.createStatement()) {
        st.execute("DROP TABLE IF EXISTS jdbc_tx");
        st.execute("CREATE TABLE jdbc_tx (id int PRIMARY KEY, name text)");
        st.execute("INSERT INTO jdbc_tx SELECT g, 'name ' || g || ' ü' FROM generate_series(1, 20) g");
      }
      c.setAutoCommit(false);
      try (Statement st = c.createStatement()) {
        st.executeUpdate("DELETE FROM jdbc_tx WHERE id > 10");
        Savepoint sp = c.setSavepoint("before_bad");
        try {
          st.executeUpdate("INSERT INTO jdbc_tx (id, name) VALUES (1, 'dup')");
        } catch (SQLException e) {
          out.add(err(e));
        }
        try {
          st.executeQuery("SELECT 1");
        } catch (SQLException e) {
          out.add(err(e));
        }
        c.rollback(sp);
        st.executeUpdate("UPDATE jdbc_tx SET name = upper(name) WHERE id = 2");
        c.commit();
        st.executeUpdate("DELETE FROM jdbc_tx");
        c.rollback();
        try (ResultSet rs = st.executeQuery("SELECT count(*), (SELECT name FROM jdbc_tx WHERE id = 2) FROM jdbc_tx")) {
          rows(rs, out);
        }
        c.commit();
        c.setTransactionIsolation(Connection.TRANSACTION_SERIALIZABLE);
        try (ResultSet rs = st.executeQuery("SHOW transaction_isolation")) {
          rows(rs, out);
        }
        c.commit();
        c.setReadOnly(true);
        try {
          st.executeUpdate("DELETE FROM jdbc_tx");
        } catch (SQLException e) {
          out.add(err(e));
        }
        c.rollback();
        c.setReadOnly(false);
      }
      c.setAutoCommit(true);
      try (Statement st = c.createStatement()) {
        st.execute("DROP TABLE jdbc_tx");
      }
      return out;
    });
    check(t.contains("row | 10 | NAME 2 Ü"), "transaction outcome: " + t);
    check(t.stream().anyMatch(l -> l.startsWith("error 25P02")), "aborted transaction gives 25P02");
    check(t.contains("row | serializable"), "isolation level set");
    check(t.stream().anyMatch(l -> l.startsWith("error 25006")), "read-only transaction refuses writes");

    t = both("CopyManager", c -> {
      List<String> out = new ArrayList<>();
      try (Statement st = c.createStatement()) {
        st.execute("DROP TABLE IF EXISTS jdbc_copy");
        st.execute("CREATE TABLE jdbc_copy (id int PRIMARY KEY, name text, amount numeric)");
        st.execute("INSERT INTO jdbc_copy SELECT g, 'row ' || g FROM generate_series(1, 10) g");
      }
      CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
      StringBuilder in = new StringBuilder();
      for (int i = 1000; i < 4000; i++) in.append(i).append("\tcopied ").append(i).append(" ✓\t\\N\n");
      long n = cm.copyIn("COPY jdbc_copy (id, name, amount) FROM STDIN", new StringReader(in.toString()));
      out.add("copied in " + n);
      StringWriter w = new StringWriter();
      long m = cm.copyOut("COPY (SELECT id, name FROM jdbc_copy WHERE id >= 1000 ORDER BY id) TO STDOUT WITH (FORMAT csv)", w);
      out.add("copied out " + m + " rows, " + w.toString().length() + " chars, hash " + w.toString().hashCode());
      try {
        cm.copyIn("COPY jdbc_copy (id, name) FROM STDIN", new StringReader("5000\tok\nnot-a-number\tbad\n"));
      } catch (SQLException e) {
        out.add(err(e));
      }
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM jdbc_copy")) {
        rows(rs, out);
        st.execute("DROP TABLE jdbc_copy");
      }
      return out;
    });
    check(t.contains("copied in 3000"), "CopyManager copyIn count: " + t);
    check(t.stream().anyMatch(l -> l.startsWith("copied out 3000 rows")), "CopyManager copyOut count");
    check(t.stream().anyMatch(l -> l.startsWith("error 22P02")), "bad COPY row gives 22P02");
    check(t.contains("row | 3010"), "row count after COPY");

    // Statement.cancel() of a running pg_sleep, through the proxy only (the point is the
    // proxy's cancel key mapping).
    try (Connection c = connect(PROXY, "analyst-dev-pw"); Statement st = c.createStatement()) {
      ScheduledExecutorService ex = Executors.newSingleThreadScheduledExecutor();
      final long[] cancelledAt = new long[1];
      ex.schedule(() -> {
        try {
          cancelledAt[0] = System.nanoTime();
          st.cancel();
        } catch (SQLException e) {
          System.out.println("cancel failed: " + e);
        }
      }, 500, TimeUnit.MILLISECONDS);
      String state = "none";
      try {
        st.executeQuery("SELECT pg_sleep(30)");
      } catch (SQLException e) {
        state = e.getSQLState();
      }
      long ms = (System.nanoTime() - cancelledAt[0]) / 1_000_000;
      ex.shutdown();
      System.out.println("cancel: state " + state + " after " + ms + " ms");
      check("57014".equals(state), "Statement.cancel() gives 57014, got " + state);
      check(ms < 1000, "the cancel took effect within a second (" + ms + " ms)");
      try (ResultSet rs = st.executeQuery("SELECT 'alive'")) {
        check(rs.next() && "alive".equals(rs.getString(1)), "session usable after cancel");
      }
    }

    // Wrong password: the server's SQLSTATE and message, through the proxy as direct.
    String[] wrong = new String[2];
    String[] ports = {DIRECT, PROXY};
    for (int i = 0; i < 2; i++) {
      try (Connection c = connect(ports[i], "wrong-password")) {
        wrong[i] = "connected?!";
      } catch (SQLException e) {
        wrong[i] = err(e);
      }
    }
    System.out.println("wrong password: " + wrong[1]);
    check(wrong[0].equals(wrong[1]), "wrong password direct [" + wrong[0] + "] vs proxy [" + wrong[1] + "]");
    check(wrong[1].startsWith("error 28P01: FATAL: password authentication failed for user \"analyst\""),
        "wrong password gives 28P01");

    try (Connection c = connect(DIRECT, "analyst-dev-pw"); Statement st = c.createStatement()) {
      st.execute("DROP TABLE IF EXISTS jdbc_t");
    }
    if (failures > 0) {
      System.out.println(failures + " failure(s)");
      System.exit(1);
    }
    System.out.println("PASS: JDBC direct and through the proxy");
  }
}

// JDBC batches of one INSERT ... ON CONFLICT statement (addBatch/executeBatch), for
// batch_differential.py: one batch a line on stdin, its outcome a line on stdout.
// Usage: java -cp postgresql.jar UpsertBatch.java PORT DATABASE REWRITE(true|false)
// A line: AUTOCOMMIT(0|1) <tab> END(commit|rollback) <tab> SQL with 3 '?' (k int, a int, b text)
//         <tab> rows, each "k,a,b" ("NULL" for a NULL k or b), separated by tabs.
// Its outcome: "counts c1 c2 ..." or "error SQLSTATE [entry N] counts c1 c2 ..." (the failing
// batch entry the driver names, and the update counts it reports), then the transaction's end.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.Properties;

public class UpsertBatch {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.setProperty("user", "analyst");
    props.setProperty("password", "analyst-dev-pw");
    props.setProperty("reWriteBatchedInserts", args[2]);
    String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/" + args[1];
    try (Connection c = DriverManager.getConnection(url, props);
         BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
      for (String line; (line = in.readLine()) != null;) {
        System.out.println(run(c, line.split("\t")));
        System.out.flush();
      }
    }
  }

  static String run(Connection c, String[] f) throws SQLException {
    c.setAutoCommit(f[0].equals("1"));
    StringBuilder out = new StringBuilder();
    try (PreparedStatement s = c.prepareStatement(f[2])) {
      for (int i = 3; i < f.length; ++i) {
        String[] v = f[i].split(",", 3);
        if (v[0].equals("NULL")) s.setNull(1, Types.INTEGER); else s.setInt(1, Integer.parseInt(v[0]));
        s.setInt(2, Integer.parseInt(v[1]));
        if (v[2].equals("NULL")) s.setNull(3, Types.VARCHAR); else s.setString(3, v[2]);
        s.addBatch();
      }
      int[] done = s.executeBatch();
      out.append("counts").append(counts(done));
    } catch (BatchUpdateException e) {
      // The driver's counts may all be EXECUTE_FAILED; its message names the failing entry.
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("Batch entry (\\d+)").matcher(String.valueOf(e.getMessage()));
      out.append("error ").append(e.getSQLState()).append(m.find() ? " entry " + m.group(1) : "")
          .append(" counts").append(counts(e.getUpdateCounts()));
    } catch (SQLException e) {
      out.append("error ").append(e.getSQLState());
    }
    if (!c.getAutoCommit()) {
      try {
        if (f[1].equals("commit")) c.commit(); else c.rollback();
        out.append(" ").append(f[1]);
      } catch (SQLException e) {
        out.append(" ").append(f[1]).append(" error ").append(e.getSQLState());
      }
    }
    return out.toString();
  }

  static String counts(int[] counts) {
    StringBuilder b = new StringBuilder();
    for (int n : counts) b.append(' ').append(n);
    return b.toString();
  }
}

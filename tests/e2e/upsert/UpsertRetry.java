// Sessions upserting the same keys at once through JDBC, for retry.py: each session adds 1 to
// every key's counter, `statements` times, with autocommit (each statement or batch its own
// implicit transaction: Parse/Bind/Execute..., one Sync), so that a serialization failure
// can be retried where the client cannot tell.
// Usage: java -cp postgresql.jar UpsertRetry.java PORT DATABASE USER PASSWORD MODE SESSIONS STATEMENTS KEYS
//   MODE batch:  one batch a statement, one INSERT ... VALUES (?, 1) ON CONFLICT ... per key;
//        single: one prepared INSERT ... SELECT k, 1 FROM generate_series(1, ?) ... ON CONFLICT.
// Prints one line a statement: "ok" and its update counts, or "error SQLSTATE".
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

public class UpsertRetry {
  static final String BATCH = "INSERT INTO upsert_counts (k, n) VALUES (?, 1) "
      + "ON CONFLICT (k) DO UPDATE SET n = upsert_counts.n + EXCLUDED.n";
  static final String SINGLE = "INSERT INTO upsert_counts (k, n) SELECT k, 1 FROM generate_series(1, ?) AS k "
      + "ON CONFLICT (k) DO UPDATE SET n = upsert_counts.n + EXCLUDED.n";

  public static void main(String[] a) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + a[0] + "/" + a[1];
    boolean batch = a[4].equals("batch");
    int sessions = Integer.parseInt(a[5]), statements = Integer.parseInt(a[6]), keys = Integer.parseInt(a[7]);
    List<String> out = Collections.synchronizedList(new ArrayList<>());
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < sessions; ++i) {
      Thread t = new Thread(() -> {
        try (Connection c = DriverManager.getConnection(url, a[2], a[3])) {
          c.setAutoCommit(true);
          for (int s = 0; s < statements; ++s) out.add(batch ? batch(c, keys) : single(c, keys));
        } catch (SQLException e) {
          out.add("error connect " + e.getSQLState());
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) t.join();
    for (String line : out) System.out.println(line);
  }

  static String batch(Connection c, int keys) {
    try (PreparedStatement s = c.prepareStatement(BATCH)) {
      for (int k = 1; k <= keys; ++k) {
        s.setInt(1, k);
        s.addBatch();
      }
      StringBuilder b = new StringBuilder("ok");
      for (int n : s.executeBatch()) b.append(' ').append(n);
      return b.toString();
    } catch (SQLException e) {  // BatchUpdateException too
      return "error " + e.getSQLState();
    }
  }

  static String single(Connection c, int keys) {
    try (PreparedStatement s = c.prepareStatement(SINGLE)) {
      s.setInt(1, keys);
      return "ok " + s.executeUpdate();
    } catch (SQLException e) {
      return "error " + e.getSQLState();
    }
  }
}

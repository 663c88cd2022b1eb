// Tier routing through PostgreSQL JDBC with date parameters (server-side prepared,
// prepareThreshold=1, each statement executed again with other dates): the rows through the
// proxy must equal the same statement's rows run directly over the whole history (a temp
// view pg_temp.sales_fact over the lake). Args: proxy port, warehouse port, and optionally
// user and password (default etl). Run by tier_clients.py and tier_bind.py; exits non-zero
// on any difference.
import java.sql.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

public class TierJdbc {
  static final String[][] RANGES = {
      {"2024-11-01", "2024-12-01"}, {"2023-02-01", "2023-03-15"}, {"2024-08-20", "2024-10-20"}, {"2022-01-01", "2025-01-01"}};
  static final String[] QUERIES = {
      "SELECT COUNT(*), SUM(amount) FROM public.sales_fact WHERE sale_date >= ? AND sale_date < ?",
      "SELECT c.region, COUNT(*) FROM public.sales_fact s JOIN public.customers c ON c.customer_id = s.customer_id "
          + "WHERE s.sale_date BETWEEN ? AND ? GROUP BY c.region ORDER BY c.region",
      "SELECT * FROM public.sales_fact WHERE sale_date >= ?::date AND sale_date < ?::date ORDER BY amount DESC, sale_id LIMIT 5",
  };

  static String user = "etl", password = "etl-dev-pw";

  static Connection connect(String port) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    p.setProperty("prepareThreshold", "1");
    p.setProperty("ApplicationName", "e2e_tier_jdbc");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/dev", p);
  }

  static List<String> run(Connection c, boolean reference) throws SQLException {
    List<String> out = new ArrayList<>();
    for (String q : QUERIES) {
      try (PreparedStatement ps = c.prepareStatement(reference ? q.replace("public.sales_fact", "pg_temp.sales_fact") : q)) {
        for (String[] r : RANGES) {
          ps.setDate(1, Date.valueOf(r[0]));
          ps.setDate(2, Date.valueOf(r[1]));
          try (ResultSet rs = ps.executeQuery()) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
              StringBuilder b = new StringBuilder(r[0] + ".." + r[1]);
              for (int i = 1; i <= n; i++) b.append(" | ").append(rs.getString(i));
              out.add(b.toString());
            }
          }
        }
      }
    }
    return out;
  }

  public static void main(String[] args) throws Exception {
    if (args.length >= 4) {
      user = args[2];
      password = args[3];
    }
    List<String> proxy, direct;
    try (Connection c = connect(args[0])) {
      proxy = run(c, false);
    }
    try (Connection c = connect(args[1])) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TEMP VIEW sales_fact AS SELECT sale_id, customer_id, amount, sale_date FROM spectrum_schema.sales");
      }
      direct = run(c, true);
    }
    if (!proxy.equals(direct) || proxy.size() < 12) {
      System.out.println("FAIL: JDBC rows differ (proxy " + proxy.size() + ", direct " + direct.size() + ")");
      for (int i = 0; i < Math.max(proxy.size(), direct.size()); i++) {
        String a = i < proxy.size() ? proxy.get(i) : "<missing>", b = i < direct.size() ? direct.get(i) : "<missing>";
        if (!a.equals(b)) System.out.println("  proxy:  " + a + "\n  direct: " + b);
      }
      System.exit(1);
    }
    System.out.println("ok: JDBC, " + proxy.size() + " rows identical");
  }
}

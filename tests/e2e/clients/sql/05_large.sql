-- Large results: 200k rows, rows wider than the proxy's streaming threshold (64 KiB), a
-- wide row count, and large values sent by the client.
SELECT g AS id, md5(g::text) AS hash, g % 7 = 0 AS sevens, CASE WHEN g % 11 = 0 THEN NULL ELSE g * 0.25 END AS quarter
  FROM generate_series(1, 200000) g;
SELECT g, length(repeat(md5(g::text), 10000)) AS len, md5(repeat(md5(g::text), 10000)) FROM generate_series(1, 3) g;
\pset format unaligned
SELECT repeat('abcdefghij', 30000) AS wide_300k;
SELECT g, repeat(chr(65 + g), 70000 + g) FROM generate_series(0, 4) g;
\pset format aligned
SELECT count(*), sum(length(s)) FROM (SELECT repeat('y', g) AS s FROM generate_series(1, 2000) g) x;
\set big `yes ab | head -c 200000 | tr -d '\n'`
SELECT length(:'big'), md5(:'big');
CREATE TEMP TABLE big_t AS SELECT :'big' || 'é✓' AS v;
SELECT length(v), md5(v), right(v, 4) FROM big_t;
SELECT string_agg(md5(g::text), '') IS NOT NULL AS built, length(string_agg(md5(g::text), '')) FROM generate_series(1, 100000) g;

-- COPY through the protocol (FROM STDIN / TO STDOUT, text, csv, binary via files) and
-- psql's \copy to and from files in the working directory, including a COPY that fails
-- midway and one with a bad row.
DROP TABLE IF EXISTS copy_t, copy_back;
CREATE TABLE copy_t (id int PRIMARY KEY, name text, amount numeric, at timestamptz, flag boolean);
COPY copy_t FROM STDIN;
1	alpha	1.5	2024-01-02 03:04:05+00	t
2	beta	\N	2024-02-03 04:05:06+00	f
3	gamma with\ttab	-7	\N	\N
4	délta ünïcode	1e3	2024-12-31 23:59:59.999+00	t
\.
COPY copy_t FROM STDIN WITH (FORMAT csv, HEADER true);
id,name,amount,at,flag
5,"quoted, comma",0,2024-05-05 05:05:05+00,true
6,"multi
line",,,
7,"""double quotes""",42,,false
\.
COPY copy_t FROM STDIN;
8	ok	1	\N	t
not-a-number	bad	1	\N	t
\.
COPY copy_t FROM STDIN;
1	duplicate	1	\N	t
\.
SELECT count(*) FROM copy_t;
COPY copy_t TO STDOUT;
COPY (SELECT * FROM copy_t ORDER BY id) TO STDOUT WITH (FORMAT csv, HEADER true, FORCE_QUOTE *);
COPY (SELECT id, name FROM copy_t WHERE id > 4 ORDER BY id) TO STDOUT WITH (FORMAT text, DELIMITER '|', NULL 'NIL');
\copy copy_t to 'copy_t.txt'
\copy (SELECT * FROM copy_t ORDER BY id) to 'copy_t.csv' with (format csv, header true)
\copy (SELECT g, md5(g::text), g * 1.5 FROM generate_series(1, 20000) g) to 'gen.txt'
\copy (SELECT * FROM copy_t ORDER BY id) to 'copy_t.bin' with (format binary)
CREATE TABLE copy_back (LIKE copy_t);
\copy copy_back from 'copy_t.txt'
\copy copy_back from 'copy_t.csv' with (format csv, header true)
\copy copy_back from 'copy_t.bin' with (format binary)
SELECT id, count(*), bool_and(c.name IS NOT DISTINCT FROM b.name AND c.amount IS NOT DISTINCT FROM b.amount
       AND c.at IS NOT DISTINCT FROM b.at AND c.flag IS NOT DISTINCT FROM b.flag) AS same
  FROM copy_back b JOIN copy_t c USING (id) GROUP BY id ORDER BY id;
CREATE TABLE gen (g int, h text, x numeric);
\copy gen from 'gen.txt'
SELECT count(*), sum(g), count(DISTINCT h), sum(x) FROM gen;
\copy gen from 'missing-file.txt'
COPY (SELECT g, 10 / (g - 3) FROM generate_series(1, 5) g) TO STDOUT;
COPY (SELECT g, 10 / (g - 300) FROM generate_series(1, 1000) g) TO STDOUT WITH (FORMAT csv);
\copy copy_t (id, nosuchcolumn) from 'copy_t.txt'
DROP TABLE copy_t, copy_back, gen;

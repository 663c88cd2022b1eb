-- Text that must survive byte for byte: multi-byte UTF-8, identifiers with unicode and
-- quotes, NULLs in every position, special floats, arrays, json, and psql output formats.
SHOW client_encoding;
SHOW server_encoding;
SELECT 'héllo wörld' AS latin, '日本語テキスト' AS cjk, '🚀✨👩‍💻' AS emoji, 'ελληνικά' AS greek, 'עברית' AS rtl;
SELECT length('🚀✨👩‍💻'), octet_length('🚀✨👩‍💻'), upper('straße'), lower('ÀÉÎ');
DROP TABLE IF EXISTS "Tëst ✓ table";
CREATE TABLE "Tëst ✓ table" ("ключ" int, "valeur ""quoted""" text, "空" text);
INSERT INTO "Tëst ✓ table" VALUES (1, 'un', NULL), (2, NULL, '二'), (NULL, NULL, NULL), (4, '', '');
SELECT * FROM "Tëst ✓ table" ORDER BY 1 NULLS FIRST;
\pset null '(null)'
SELECT * FROM "Tëst ✓ table" ORDER BY 1 NULLS LAST;
SELECT NULL::int AS i, NULL::text AS t, ARRAY[1, NULL, 3] AS arr, ROW(NULL, 1) AS rec, NULL = NULL AS eq, NULL IS NULL AS isnull;
SELECT 'NaN'::float8, 'Infinity'::float8, '-Infinity'::float8, -0.0::float8, 1e-320::float8 AS denormal;
SELECT 1e308::float8 * 10;
SELECT '{"a": [1, 2, {"b": null}], "ü": "✓"}'::jsonb AS j, '{{1,2},{3,4}}'::int[] AS m, '[1,5)'::int4range AS r;
SELECT E'tab\there', E'new\nline', E'back\\slash', 'quote''s', E'\\x00ff'::bytea, '\x'::bytea;
SELECT U&'\0041\00e9\+01F600' AS uescape, convert_to('ü', 'LATIN1') AS latin1_bytes;
SELECT chr(0);
\x
SELECT * FROM "Tëst ✓ table" WHERE "ключ" = 1;
\x
\pset format unaligned
\pset fieldsep '|'
SELECT * FROM "Tëst ✓ table" ORDER BY 1;
\pset format csv
SELECT * FROM "Tëst ✓ table" ORDER BY 1;
\pset format html
SELECT 'a<b>&"c"' AS html_escaping, NULL AS n;
\pset format wrapped
\pset columns 40
SELECT repeat('wrap me ', 12) AS long_text, 'x' AS short;
\pset format aligned
\pset border 2
\pset linestyle unicode
SELECT 1 AS one, 'ü' AS two;
\pset border 1
\pset linestyle ascii
\pset tuples_only on
SELECT 'tuples only';
\pset tuples_only off
\pset null ''
SET client_encoding = 'LATIN1';
SELECT 'ü' AS latin1_roundtrip;
SELECT chr(26085) AS not_representable;
RESET client_encoding;
SELECT '日本' AS back_to_utf8;
DROP TABLE "Tëst ✓ table";

-- Large objects: psql's \lo_* commands use libpq's fast-path function calls (FunctionCall
-- 'F' / FunctionCallResponse 'V' messages), which nothing else exercises. Object ids differ
-- between runs, so they are never printed: QUIET hides "lo_import <oid>", :LASTOID carries it.
\! yes 'large object line ✓' | head -c 300000 > lo_source.txt
\set big `cat lo_source.txt`
SELECT length(:'big') AS chars, md5(:'big');
\set QUIET on
\lo_import 'lo_source.txt'
\set QUIET off
SELECT :LASTOID > 0 AS imported;
SELECT length(lo_get(:LASTOID)) AS bytes, md5(lo_get(:LASTOID)) AS hash,
       lo_get(:LASTOID) = convert_to(:'big', 'UTF8') AS same_as_sent;
\lo_export :LASTOID 'lo_export.txt'
\lo_export 4294967295 'lo_missing.txt'
SELECT lo_unlink(:LASTOID);
SELECT count(*) FROM pg_largeobject_metadata WHERE oid = :LASTOID;
BEGIN;
SELECT lo_from_bytea(0, '\x00ff00'::bytea) > 0 AS created;
ROLLBACK;
\lo_unlink 4294967295

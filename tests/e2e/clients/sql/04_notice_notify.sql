-- Asynchronous server messages: NOTICE/WARNING/INFO from RAISE with every field, notices
-- from DDL, LISTEN/NOTIFY on the session itself (delivered after commit, deduplicated
-- within a transaction, not delivered after UNLISTEN or ROLLBACK).
\set VERBOSITY verbose
DO $$ BEGIN RAISE NOTICE 'plain notice %', 1; END $$;
DO $$ BEGIN
  RAISE NOTICE 'notice with fields' USING DETAIL = 'the detail', HINT = 'the hint', ERRCODE = '01000';
  RAISE WARNING 'a warning: %', repeat('w', 20);
  RAISE INFO 'an info ünïcode ✓';
  RAISE LOG 'only in the server log';
END $$;
SET client_min_messages = warning;
DO $$ BEGIN RAISE NOTICE 'hidden'; RAISE WARNING 'shown'; END $$;
RESET client_min_messages;
\set VERBOSITY default
DROP TABLE IF EXISTS no_such_table_here;
CREATE TEMP TABLE n_t (id int);
CREATE TEMP TABLE IF NOT EXISTS n_t (id int);
CREATE OR REPLACE FUNCTION pg_temp.noisy(n int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..n LOOP RAISE NOTICE 'row %', i; END LOOP;
  RETURN n;
END $$;
SELECT pg_temp.noisy(5);
SELECT pg_temp.noisy(g) FROM generate_series(1, 3) g;
LISTEN e2e_channel;
LISTEN "Mixed Case ✓";
NOTIFY e2e_channel, 'first';
SELECT pg_notify('e2e_channel', 'second with ünïcode ✓');
NOTIFY "Mixed Case ✓";
BEGIN;
NOTIFY e2e_channel, 'in transaction';
NOTIFY e2e_channel, 'in transaction';
NOTIFY e2e_channel, 'another';
SELECT 'notifications wait for commit';
COMMIT;
BEGIN;
NOTIFY e2e_channel, 'rolled back';
ROLLBACK;
SELECT pg_notify('e2e_channel', repeat('x', 7000));
UNLISTEN e2e_channel;
NOTIFY e2e_channel, 'not delivered';
SELECT channel FROM pg_listening_channels() AS channel ORDER BY 1;
UNLISTEN *;
SELECT count(*) FROM pg_listening_channels();

-- Transaction blocks: commit, rollback, an error inside a block, savepoints, read-only and
-- isolation settings, and psql's view of the outcome (:LAST_ERROR_SQLSTATE).
DROP TABLE IF EXISTS tx_t;
CREATE TABLE tx_t (k int PRIMARY KEY, v text);
BEGIN;
INSERT INTO tx_t VALUES (1, 'one');
INSERT INTO tx_t VALUES (2, 'two');
COMMIT;
BEGIN;
INSERT INTO tx_t VALUES (3, 'three');
SELECT 1 / 0;
\echo error sqlstate :LAST_ERROR_SQLSTATE
INSERT INTO tx_t VALUES (4, 'four');
\echo error sqlstate :LAST_ERROR_SQLSTATE
SELECT 'still aborted';
ROLLBACK;
SELECT * FROM tx_t ORDER BY k;
BEGIN;
INSERT INTO tx_t VALUES (5, 'five');
SAVEPOINT s1;
INSERT INTO tx_t VALUES (1, 'duplicate');
ROLLBACK TO SAVEPOINT s1;
INSERT INTO tx_t VALUES (6, 'six');
SAVEPOINT s2;
UPDATE tx_t SET v = upper(v);
RELEASE SAVEPOINT s2;
COMMIT;
SELECT * FROM tx_t ORDER BY k;
BEGIN;
DELETE FROM tx_t;
ROLLBACK;
SELECT count(*) FROM tx_t;
BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY;
SHOW transaction_isolation;
INSERT INTO tx_t VALUES (7, 'seven');
COMMIT;
START TRANSACTION;
INSERT INTO tx_t VALUES (8, 'eight');
PREPARE TRANSACTION 'not_enabled';
COMMIT;
COMMIT;
ROLLBACK;
END;
SET TRANSACTION ISOLATION LEVEL SERIALIZABLE;
BEGIN;
INSERT INTO tx_t VALUES (9, 'nine') \; SELECT 1 / 0 \; INSERT INTO tx_t VALUES (10, 'ten');
ROLLBACK;
INSERT INTO tx_t VALUES (11, 'eleven') \; SELECT count(*) FROM tx_t \; SELECT 1 / 0;
SELECT k, v FROM tx_t ORDER BY k;
DO $$ BEGIN INSERT INTO tx_t VALUES (12, 'twelve'); RAISE EXCEPTION 'custom failure %', 42 USING ERRCODE = 'P0001', DETAIL = 'some detail', HINT = 'some hint'; END $$;
\echo error sqlstate :LAST_ERROR_SQLSTATE
SELECT count(*) FROM tx_t WHERE k = 12;
DROP TABLE tx_t;

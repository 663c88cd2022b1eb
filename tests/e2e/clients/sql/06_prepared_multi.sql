-- SQL-level prepared statements and several statements in one Query message (psql's \;),
-- including errors in the middle of a multi-statement string, which end it.
DROP TABLE IF EXISTS pm_t;
CREATE TABLE pm_t (id int, label text, price numeric(8, 2));
PREPARE ins (int, text, numeric) AS INSERT INTO pm_t VALUES ($1, $2, $3) RETURNING *;
EXECUTE ins(1, 'one', 1.10);
EXECUTE ins(2, 'two', 2.2);
EXECUTE ins(3, NULL, NULL);
EXECUTE ins('x', 'bad', 0);
EXECUTE ins(4);
PREPARE sel (numeric) AS SELECT id, label FROM pm_t WHERE price >= $1 ORDER BY id;
EXECUTE sel(0);
EXECUTE sel(2);
SELECT name, statement, parameter_types::text FROM pg_prepared_statements ORDER BY name;
PREPARE ins AS SELECT 1;
DEALLOCATE ins;
EXECUTE ins(5, 'five', 5);
DEALLOCATE ALL;
SELECT count(*) FROM pg_prepared_statements;
EXECUTE sel(0);
SELECT 1 AS a \; SELECT 2 AS b \; SELECT 'three' AS c;
SELECT 1 AS before_error \; SELECT 1 / 0 \; SELECT 'never' AS after_error;
INSERT INTO pm_t VALUES (10, 'ten', 10) \; UPDATE pm_t SET price = price + 1 WHERE id = 10 \; DELETE FROM pm_t WHERE id = 1;
BEGIN \; INSERT INTO pm_t VALUES (11, 'eleven', 11) \; COMMIT \; SELECT count(*) FROM pm_t;
BEGIN \; INSERT INTO pm_t VALUES (12, 'twelve', 12) \; SELECT nonexistent \; COMMIT;
SELECT 'still in the failed block';
ROLLBACK;
SELECT id FROM pm_t ORDER BY id;
SET search_path = pg_catalog \; SHOW search_path \; RESET search_path \; SHOW search_path;
SELECT 'empty statements' ;;; SELECT 'are fine';
;
VALUES (1, 'a'), (2, 'b') \; TABLE pm_t LIMIT 1;
SELECT $$dollar ; quoted; text$$ AS d, 'semi;colon' AS s \; SELECT E'escaped \\; here' AS e;
/* comment; with semicolon */ SELECT 'after comment' -- trailing; comment
;
DROP TABLE pm_t;

-- DDL and DML in a scratch schema: CREATE/ALTER/DROP, constraints and their errors,
-- INSERT ... RETURNING, UPDATE, DELETE, upsert, views, sequences, functions.
SET client_min_messages = notice;
DROP SCHEMA IF EXISTS e2e_ddl CASCADE;
CREATE SCHEMA e2e_ddl;
SET search_path = e2e_ddl, public;
CREATE TABLE accounts (
  id       serial PRIMARY KEY,
  owner    text NOT NULL UNIQUE,
  balance  numeric(12, 2) NOT NULL DEFAULT 0 CHECK (balance >= 0),
  opened   date NOT NULL DEFAULT '2024-01-01',
  tags     text[]
);
\d accounts
INSERT INTO accounts (owner, balance, tags) VALUES
  ('alice', 100.50, '{a,b}'), ('bob', 0, NULL), ('carol', 99999.99, '{}')
RETURNING id, owner, balance, tags;
INSERT INTO accounts (owner, balance) VALUES ('alice', 1);
INSERT INTO accounts (owner, balance) VALUES ('dave', -5);
INSERT INTO accounts (owner) VALUES (NULL);
UPDATE accounts SET balance = balance * 2 WHERE owner <> 'carol' RETURNING owner, balance;
INSERT INTO accounts (owner, balance) VALUES ('bob', 7)
  ON CONFLICT (owner) DO UPDATE SET balance = accounts.balance + EXCLUDED.balance
  RETURNING owner, balance;
ALTER TABLE accounts ADD COLUMN note varchar(10);
UPDATE accounts SET note = 'this is far too long for ten';
ALTER TABLE accounts RENAME COLUMN note TO memo;
CREATE VIEW rich AS SELECT owner, balance FROM accounts WHERE balance > 100;
SELECT * FROM rich ORDER BY owner;
CREATE SEQUENCE seq START 10 INCREMENT 5;
SELECT nextval('seq'), nextval('seq'), currval('seq');
CREATE FUNCTION add_interest(rate numeric) RETURNS integer LANGUAGE sql AS
  $$ UPDATE e2e_ddl.accounts SET balance = round(balance * (1 + rate), 2) RETURNING 1 $$;
SELECT add_interest(0.10);
SELECT id, owner, balance, opened, tags, memo FROM accounts ORDER BY id;
DELETE FROM accounts WHERE balance < 300 RETURNING owner;
SELECT count(*) FROM accounts;
TRUNCATE accounts;
DROP TABLE accounts;
DROP TABLE does_not_exist;
SELECT * FROM rich;
DROP SCHEMA e2e_ddl CASCADE;

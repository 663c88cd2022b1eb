-- Dev warehouse roles (cluster-wide; run as the superuser against any database).
-- Idempotent: creates what is missing and (re)sets every password, so a re-run repairs them.
--   analyst  password analyst-dev-pw  stored as SCRAM-SHA-256, member of group analysts
--   etl      password etl-dev-pw      stored as MD5 (the md5 auth path needs an md5 hash)
--   legacy   password legacy-dev-pw   pg_hba method "password" (cleartext on the wire)
-- "analysts" is a NOLOGIN role standing in for a Redshift user group.
\set ON_ERROR_STOP on

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['analysts'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
  FOREACH r IN ARRAY ARRAY['analyst', 'etl', 'legacy'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I LOGIN', r);
    END IF;
  END LOOP;
END
$$;

SET password_encryption = 'scram-sha-256';
ALTER ROLE analyst LOGIN PASSWORD 'analyst-dev-pw';
ALTER ROLE legacy LOGIN PASSWORD 'legacy-dev-pw';
SET password_encryption = 'md5';
ALTER ROLE etl LOGIN PASSWORD 'etl-dev-pw';
RESET password_encryption;

GRANT analysts TO analyst;

-- Dev warehouse demo schema and data, run once as the superuser in database "dev" after
-- deploy/dev/gen_lake.py has written the lake. psql variable lake_dir: the lake root as the
-- server sees it. The partition list comes from the lake's _manifest.json, so the tables
-- always match the files.
--
--   spectrum_schema.sales   "Spectrum" external table: LIST (year) -> LIST (month) -> one
--                           file_fdw foreign table per lake/sales/year=YYYY/month=MM/ file
--   public.sales_fact       hot tier: the most recent 3 months, local heap, same rows
--   public.customers        plain local table for generic tests
\set ON_ERROR_STOP on
SELECT set_config('blueshift.lake_dir', :'lake_dir', false);

CREATE EXTENSION IF NOT EXISTS file_fdw;
-- The server's name is what svv_external_schemas shows as the external (Glue) database name.
CREATE SERVER spectrum_db FOREIGN DATA WRAPPER file_fdw;

CREATE SCHEMA spectrum_schema;
CREATE TABLE spectrum_schema.sales (
  sale_id     bigint,
  customer_id int,
  amount      numeric(12, 2),
  sale_date   date,
  year        int,
  month       int
) PARTITION BY LIST (year);

DO $$
DECLARE
  lake     text := current_setting('blueshift.lake_dir');
  manifest json := pg_read_file(lake || '/_manifest.json')::json;
  p        json;
  y        int;
  m        int;
BEGIN
  FOR y IN SELECT DISTINCT (e ->> 'year')::int
           FROM json_array_elements(manifest -> 'partitions') e ORDER BY 1 LOOP
    EXECUTE format('CREATE TABLE spectrum_schema.%I PARTITION OF spectrum_schema.sales '
                   'FOR VALUES IN (%s) PARTITION BY LIST (month)', 'sales_' || y, y);
  END LOOP;
  FOR p IN SELECT e FROM json_array_elements(manifest -> 'partitions') e LOOP
    y := (p ->> 'year')::int;
    m := (p ->> 'month')::int;
    EXECUTE format('CREATE FOREIGN TABLE spectrum_schema.%I PARTITION OF spectrum_schema.%I '
                   'FOR VALUES IN (%s) SERVER spectrum_db '
                   'OPTIONS (filename %L, format ''csv'', header ''true'')',
                   format('sales_%s_%s', y, lpad(m::text, 2, '0')), 'sales_' || y, m,
                   lake || '/' || (p ->> 'path'));
  END LOOP;
END
$$;

CREATE TABLE public.customers (
  customer_id int PRIMARY KEY,
  name        text NOT NULL,
  email       text,
  region      text,
  signup_date date
);
INSERT INTO public.customers
SELECT i,
       'Customer ' || lpad(i::text, 4, '0'),
       format('customer%s@example.com', i),
       (ARRAY['us-east', 'us-west', 'eu-central', 'ap-south'])[1 + i % 4],
       date '2020-01-01' + (i * 7) % 1000
FROM generate_series(1, (pg_read_file(current_setting('blueshift.lake_dir') || '/_manifest.json')::json
                         ->> 'customers')::int) AS i;

-- The hot tier holds the latest three months of the lake: identical rows, so a query gives
-- the same answer whichever tier serves it.
CREATE TABLE public.sales_fact (
  sale_id     bigint PRIMARY KEY,
  customer_id int,
  amount      numeric(12, 2),
  sale_date   date
);
-- The months come from the manifest and are spliced in as constants so that only their
-- three files are read.
DO $$
DECLARE
  hot record;
BEGIN
  FOR hot IN SELECT (e ->> 'year')::int AS y, (e ->> 'month')::int AS m
             FROM json_array_elements(pg_read_file(current_setting('blueshift.lake_dir')
                                                   || '/_manifest.json')::json -> 'partitions') e
             ORDER BY 1 DESC, 2 DESC LIMIT 3 LOOP
    EXECUTE format('INSERT INTO public.sales_fact SELECT sale_id, customer_id, amount, sale_date '
                   'FROM spectrum_schema.sales WHERE year = %s AND month = %s', hot.y, hot.m);
  END LOOP;
END
$$;
CREATE INDEX sales_fact_sale_date ON public.sales_fact (sale_date);

-- Privileges. Redshift grants to groups; "analysts" is the group role.
GRANT USAGE ON SCHEMA spectrum_schema TO analysts, etl;
GRANT SELECT ON ALL TABLES IN SCHEMA spectrum_schema TO analysts, etl;
GRANT USAGE ON SCHEMA public TO analysts, etl, legacy;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO analysts, etl, legacy;
GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO etl;
GRANT CREATE ON SCHEMA public TO etl;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO analysts, etl, legacy;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT INSERT, UPDATE, DELETE ON TABLES TO etl;
ALTER DEFAULT PRIVILEGES IN SCHEMA spectrum_schema GRANT SELECT ON TABLES TO analysts, etl;

ANALYZE public.customers;
ANALYZE public.sales_fact;

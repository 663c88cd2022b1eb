-- Redshift Spectrum catalog views for the dev warehouse, computed from PostgreSQL's own
-- catalog (pg_partitioned_table, pg_inherits, pg_foreign_table, pg_attribute, partition
-- bounds), so they stay true when partitions or external tables are added or dropped.
--
-- Mapping from PostgreSQL to Redshift Spectrum terms:
--   external schema    a schema holding at least one foreign table
--   external table     a foreign table that is not a partition, or a partitioned table
--                      (not itself a partition) whose leaf partitions are foreign tables
--   partition key      the keys of each partitioning level, outermost first: part_key 1, 2, ...
--   partition          a leaf foreign table; "values" are read from the Hive-style path
--                      (key=value folders) and fall back to the partition bound
--   location           the file's folder, with ".../lake/" shown as s3://blueshift-dev-lake/
--
-- The views are created in pg_catalog, like Redshift's, so that unqualified names resolve
-- whatever a session's search_path is, and pg_catalog.svv_... works as on Redshift. Aliases in
-- public serve code that qualifies them with public. Columns follow the Redshift docs
-- (SVV_EXTERNAL_PARTITIONS has no redshift_database_name there, so none here either).
--
-- Run as the superuser in database "dev"; idempotent (CREATE OR REPLACE).
\set ON_ERROR_STOP on
-- Creating objects in pg_catalog needs this (a superuser-only setting, this session only).
SET allow_system_table_mods = on;

CREATE SCHEMA IF NOT EXISTS blueshift_internal;
COMMENT ON SCHEMA blueshift_internal IS 'helpers behind the svv_external_* views (dev warehouse)';

-- Hive type name for a PostgreSQL column type, as SVV_EXTERNAL_COLUMNS.external_type shows.
CREATE OR REPLACE FUNCTION blueshift_internal.external_type(typ oid, typmod int)
RETURNS text LANGUAGE sql STABLE AS $$
  SELECT CASE
    WHEN t = 'integer' THEN 'int'
    WHEN t = 'text' THEN 'string'
    WHEN t = 'double precision' THEN 'double'
    WHEN t = 'real' THEN 'float'
    WHEN t = 'timestamp without time zone' THEN 'timestamp'
    WHEN t LIKE 'numeric%' THEN 'decimal' || substr(t, 8)
    WHEN t LIKE 'character varying%' THEN 'varchar' || substr(t, 18)
    WHEN t LIKE 'character%' THEN 'char' || substr(t, 10)
    ELSE t
  END
  FROM format_type(typ, typmod) AS t
$$;

-- Where a lake file's folder is, as Redshift would show it.
CREATE OR REPLACE FUNCTION blueshift_internal.lake_location(filename text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN dir ~ '/lake/' THEN regexp_replace(dir, '^.*/lake/', 's3://blueshift-dev-lake/')
    ELSE 'file://' || dir
  END
  FROM regexp_replace(filename, '[^/]*$', '') AS dir
$$;

CREATE OR REPLACE FUNCTION blueshift_internal.ft_option(opts text[], name text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT option_value FROM pg_options_to_table(opts) WHERE option_name = name
$$;

-- External tables: relid of each, with its schema and name.
CREATE OR REPLACE VIEW blueshift_internal.external_tables AS
SELECT c.oid AS relid, n.nspname::text AS schemaname, c.relname::text AS tablename,
       c.relkind = 'p' AS partitioned
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE NOT c.relispartition
  AND (c.relkind = 'f'
       OR (c.relkind = 'p'
           AND EXISTS (SELECT FROM pg_partition_tree(c.oid) t
                       JOIN pg_class l ON l.oid = t.relid
                       WHERE t.isleaf AND l.relkind = 'f')));

-- Partition keys of each partitioned external table, numbered across levels. Levels are found
-- by walking down the first partitioned child at each depth (the tree is uniform by design).
-- Child attnums can differ from the root's (dropped columns), hence the match by name.
CREATE OR REPLACE VIEW blueshift_internal.partition_keys AS
WITH RECURSIVE levels(root, relid, depth) AS (
  SELECT relid, relid, 1 FROM blueshift_internal.external_tables WHERE partitioned
  UNION ALL
  SELECT l.root, child.inhrelid, l.depth + 1
  FROM levels l
  CROSS JOIN LATERAL (
    SELECT i.inhrelid FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = l.relid AND c.relkind = 'p'
    ORDER BY c.relname LIMIT 1) child
),
keys AS (
  SELECT l.root, l.depth, k.ord, a.attname::text AS attname
  FROM levels l
  JOIN pg_partitioned_table pt ON pt.partrelid = l.relid
  CROSS JOIN LATERAL unnest(pt.partattrs::int2[]) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = l.relid AND a.attnum = k.attnum
)
SELECT root AS relid, attname, depth,
       row_number() OVER (PARTITION BY root ORDER BY depth, ord)::int AS part_key
FROM keys;

-- Leaf partitions (foreign tables) of partitioned external tables, with their file.
CREATE OR REPLACE VIEW blueshift_internal.external_partitions AS
SELECT e.relid AS root, e.schemaname, e.tablename, l.oid AS leaf,
       blueshift_internal.ft_option(ft.ftoptions, 'filename') AS filename,
       blueshift_internal.ft_option(ft.ftoptions, 'header') AS header,
       blueshift_internal.lake_location(blueshift_internal.ft_option(ft.ftoptions, 'filename'))
         AS location
FROM blueshift_internal.external_tables e
CROSS JOIN LATERAL pg_partition_tree(e.relid) t
JOIN pg_class l ON l.oid = t.relid AND t.isleaf AND l.relkind = 'f'
JOIN pg_foreign_table ft ON ft.ftrelid = l.oid
WHERE e.partitioned;

-- "values" of each leaf: one string per partition key, in key order, as a JSON array.
CREATE OR REPLACE VIEW blueshift_internal.partition_values AS
SELECT p.leaf,
       '[' || string_agg(to_json(v.value)::text, ',' ORDER BY k.part_key) || ']' AS "values"
FROM blueshift_internal.external_partitions p
JOIN blueshift_internal.partition_keys k ON k.relid = p.root
CROSS JOIN LATERAL (
  SELECT coalesce(
    substring(p.filename FROM '/' || regexp_replace(k.attname, '([^a-zA-Z0-9_])', '\\\1', 'g')
                          || '=([^/]+)/'),
    -- The bound of the ancestor one level below the key's level: FOR VALUES IN (x).
    (SELECT btrim((regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                '^FOR VALUES IN \((.*)\)$'))[1], '''')
     FROM (SELECT a.relid, a.ord, count(*) OVER () AS n
           FROM pg_partition_ancestors(p.leaf) WITH ORDINALITY AS a(relid, ord)) anc
     JOIN pg_class c ON c.oid = anc.relid
     WHERE anc.n - anc.ord + 1 = k.depth + 1)) AS value
) v
GROUP BY p.leaf;

-- File size of a foreign table's file. SECURITY DEFINER because pg_stat_file is
-- superuser-only; it only ever stats files that foreign tables already name.
CREATE OR REPLACE FUNCTION blueshift_internal.foreign_table_file_size(rel oid)
RETURNS bigint LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT (pg_stat_file(blueshift_internal.ft_option(ft.ftoptions, 'filename'), true)).size
  FROM pg_foreign_table ft WHERE ft.ftrelid = rel
$$;
-- Functions a view calls are checked against the querying user, so everyone may call it.
GRANT EXECUTE ON FUNCTION blueshift_internal.foreign_table_file_size(oid) TO PUBLIC;

CREATE OR REPLACE VIEW pg_catalog.svv_external_schemas AS
SELECT n.oid AS esoid,
       1::smallint AS eskind,  -- 1: AWS Glue Data Catalog
       n.nspname AS schemaname,
       n.nspowner::int AS esowner,
       (SELECT min(s.srvname)::text
        FROM pg_class c
        JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
        JOIN pg_foreign_server s ON s.oid = ft.ftserver
        WHERE c.relnamespace = n.oid) AS databasename,
       '{"IAM_ROLE":"arn:aws:iam::000000000000:role/blueshift-dev-spectrum"}'::text AS esoptions
FROM pg_namespace n
WHERE EXISTS (SELECT FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind = 'f');

CREATE OR REPLACE VIEW pg_catalog.svv_external_tables AS
SELECT current_database()::text AS redshift_database_name,
       e.schemaname,
       e.tablename,
       'TABLE'::text AS tabletype,
       CASE WHEN e.partitioned THEN
         -- The common prefix of the partitions: a Hive-style location cut before its first key.
         (SELECT regexp_replace(coalesce(min(p.location) FILTER (WHERE p.location ~ key_re),
                                         min(p.location)), key_re || '.*$', '/')
          FROM blueshift_internal.external_partitions p,
               (SELECT '/' || k.attname || '=' AS key_re FROM blueshift_internal.partition_keys k
                WHERE k.relid = e.relid AND k.part_key = 1) k
          WHERE p.root = e.relid
          GROUP BY key_re)
       ELSE blueshift_internal.lake_location(blueshift_internal.ft_option(ft.ftoptions, 'filename'))
       END AS location,
       'org.apache.hadoop.mapred.TextInputFormat'::text AS input_format,
       'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'::text AS output_format,
       'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe'::text AS serialization_lib,
       '{"field.delim":",","serialization.format":","}'::text AS serde_parameters,
       0 AS compressed,
       CASE WHEN coalesce(blueshift_internal.ft_option(ft.ftoptions, 'header'),
                          (SELECT min(p.header) FROM blueshift_internal.external_partitions p
                           WHERE p.root = e.relid)) = 'true'
         THEN '{"EXTERNAL":"TRUE","skip.header.line.count":"1"}'
         ELSE '{"EXTERNAL":"TRUE"}'
       END::text AS parameters
FROM blueshift_internal.external_tables e
LEFT JOIN pg_foreign_table ft ON ft.ftrelid = e.relid;

CREATE OR REPLACE VIEW pg_catalog.svv_external_columns AS
SELECT current_database()::text AS redshift_database_name,
       e.schemaname,
       e.tablename,
       a.attname::text AS columnname,
       blueshift_internal.external_type(a.atttypid, a.atttypmod) AS external_type,
       -- Redshift numbers data columns first, then partition columns in key order.
       row_number() OVER (PARTITION BY e.relid
                          ORDER BY coalesce(k.part_key, 0) > 0, k.part_key, a.attnum)::int
         AS columnnum,
       coalesce(k.part_key, 0) AS part_key,
       CASE WHEN a.attnotnull THEN 'false' ELSE 'true' END AS is_nullable
FROM blueshift_internal.external_tables e
JOIN pg_attribute a ON a.attrelid = e.relid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN blueshift_internal.partition_keys k ON k.relid = e.relid AND k.attname = a.attname;

CREATE OR REPLACE VIEW pg_catalog.svv_external_partitions AS
SELECT p.schemaname,
       p.tablename,
       v."values",
       p.location,
       'org.apache.hadoop.mapred.TextInputFormat'::text AS input_format,
       'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'::text AS output_format,
       'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe'::text AS serialization_lib,
       '{"field.delim":",","serialization.format":","}'::text AS serde_parameters,
       0 AS compressed,
       '{}'::text AS parameters
FROM blueshift_internal.external_partitions p
JOIN blueshift_internal.partition_values v ON v.leaf = p.leaf;

-- Not a Redshift view: each partition's file and its size in bytes, for scan-cost estimates.
-- partition_table is the PostgreSQL leaf table (schema-qualified) serving the partition.
CREATE OR REPLACE VIEW pg_catalog.blueshift_external_partition_files AS
SELECT p.schemaname,
       p.tablename,
       v."values",
       p.location,
       p.leaf::regclass::text AS partition_table,
       p.filename,
       blueshift_internal.foreign_table_file_size(p.leaf) AS size_bytes
FROM blueshift_internal.external_partitions p
JOIN blueshift_internal.partition_values v ON v.leaf = p.leaf;

RESET allow_system_table_mods;

GRANT SELECT ON pg_catalog.svv_external_schemas, pg_catalog.svv_external_tables,
                pg_catalog.svv_external_columns, pg_catalog.svv_external_partitions,
                pg_catalog.blueshift_external_partition_files TO PUBLIC;

CREATE OR REPLACE VIEW public.svv_external_schemas AS SELECT * FROM pg_catalog.svv_external_schemas;
CREATE OR REPLACE VIEW public.svv_external_tables AS SELECT * FROM pg_catalog.svv_external_tables;
CREATE OR REPLACE VIEW public.svv_external_columns AS SELECT * FROM pg_catalog.svv_external_columns;
CREATE OR REPLACE VIEW public.svv_external_partitions AS
  SELECT * FROM pg_catalog.svv_external_partitions;
CREATE OR REPLACE VIEW public.blueshift_external_partition_files AS
  SELECT * FROM pg_catalog.blueshift_external_partition_files;
GRANT SELECT ON public.svv_external_schemas, public.svv_external_tables,
                public.svv_external_columns, public.svv_external_partitions,
                public.blueshift_external_partition_files TO PUBLIC;

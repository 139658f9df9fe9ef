-- The large values a bulk job writes, compressed with lz4 instead of pglz: a chunk of the job's
-- file (about 1.3 MB of JSON lines per 5,000 rows) and a batch's one audit event (about 800 KB
-- naming every user it created). pglz spent 14 ms of PostgreSQL's time compressing each chunk
-- and 8-10 ms each event; lz4 spends 3 ms and 1-2 ms, for the same size on disk. Only new
-- values are affected. It is only a saving, so it never stops a server from migrating: before
-- PostgreSQL 14 (no SET COMPRESSION) and on a server built without lz4 (PGlite) the block
-- changes nothing and pglz stays.
DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 140000 THEN
    ALTER TABLE "user_import_chunks" ALTER COLUMN "data" SET COMPRESSION lz4;
    ALTER TABLE "audit_events" ALTER COLUMN "details" SET COMPRESSION lz4;
  END IF;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END
$$;

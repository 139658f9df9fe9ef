-- A user's environment and population, checked once per statement instead of once per row.
-- The two foreign keys checked every inserted user with a lookup and a key-share lock of its
-- environment's and its population's rows: for a bulk batch of 5,000 users (all of one
-- environment, most of one population) that was 10,000 lookups and locks of the same two rows,
-- about a fifth of PostgreSQL's part of the batch's COPY. These triggers keep what the foreign
-- keys guaranteed, for every writer (a single import, a bulk COPY, the console, a directory job):
-- no user of a population that does not exist, no population deleted while it holds users, and
-- an environment's users deleted with it. Every write runs at READ COMMITTED, where a trigger's
-- statements see what other transactions committed before them (a foreign key's own check sees
-- that at every isolation level).
ALTER TABLE "users" DROP CONSTRAINT "users_environment_id_environments_id_fk";
--> statement-breakpoint
ALTER TABLE "users" DROP CONSTRAINT "users_population_fk";
--> statement-breakpoint
-- After each INSERT or COPY into users: the distinct environments and populations of its rows,
-- key-share locked as a foreign key would (a concurrent delete of one waits for this transaction,
-- a deleted one is not locked), and every population found in its environment.
CREATE FUNCTION "users_check_references"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  wanted bigint;
  held bigint;
BEGIN
  -- The environments first: deleting one waits for this transaction, then deletes these users too.
  PERFORM 1 FROM "environments" e WHERE e."id" IN (SELECT DISTINCT n."environment_id" FROM new_users n) FOR KEY SHARE OF e;
  WITH refs AS (SELECT DISTINCT n."environment_id", n."population_id" FROM new_users n),
       locked AS (
         SELECT p."id" FROM "populations" p JOIN refs r ON p."environment_id" = r."environment_id" AND p."id" = r."population_id"
         FOR KEY SHARE OF p
       )
  SELECT (SELECT count(*) FROM refs), (SELECT count(*) FROM locked) INTO wanted, held;
  IF held < wanted THEN
    RAISE EXCEPTION 'insert or update on table "users" violates foreign key constraint "users_population_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'users_population_fk', TABLE = 'users',
        DETAIL = 'The population is not present in the user''s environment.';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "users_check_references" AFTER INSERT ON "users"
  REFERENCING NEW TABLE AS new_users FOR EACH STATEMENT EXECUTE FUNCTION "users_check_references"();
--> statement-breakpoint
-- A user moved to another population (or environment): that one row, as a foreign key checks an
-- update only when its columns change.
CREATE FUNCTION "users_check_moved_reference"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM "environments" e WHERE e."id" = NEW."environment_id" FOR KEY SHARE OF e;
  PERFORM 1 FROM "populations" p WHERE p."environment_id" = NEW."environment_id" AND p."id" = NEW."population_id" FOR KEY SHARE OF p;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'insert or update on table "users" violates foreign key constraint "users_population_fk"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'users_population_fk', TABLE = 'users',
        DETAIL = 'The population is not present in the user''s environment.';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "users_check_moved_reference" AFTER UPDATE OF "environment_id", "population_id" ON "users"
  FOR EACH ROW WHEN (OLD."environment_id" IS DISTINCT FROM NEW."environment_id" OR OLD."population_id" IS DISTINCT FROM NEW."population_id")
  EXECUTE FUNCTION "users_check_moved_reference"();
--> statement-breakpoint
-- A population that still holds users is not deleted (nor given another key). A user inserted
-- meanwhile holds a key-share lock of the population's row, so the delete waits for it to commit
-- and this check then sees that user.
CREATE FUNCTION "populations_keep_their_users"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM "users" u WHERE u."environment_id" = OLD."environment_id" AND u."population_id" = OLD."id") THEN
    RAISE EXCEPTION 'update or delete on table "populations" violates foreign key constraint "users_population_fk" on table "users"'
      USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'users_population_fk', TABLE = 'populations',
        DETAIL = 'The population is still referenced from table "users".';
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "populations_keep_their_users" AFTER DELETE ON "populations"
  FOR EACH ROW EXECUTE FUNCTION "populations_keep_their_users"();
--> statement-breakpoint
CREATE TRIGGER "populations_keep_their_users_on_rekey" AFTER UPDATE OF "id", "environment_id" ON "populations"
  FOR EACH ROW WHEN (OLD."id" IS DISTINCT FROM NEW."id" OR OLD."environment_id" IS DISTINCT FROM NEW."environment_id")
  EXECUTE FUNCTION "populations_keep_their_users"();
--> statement-breakpoint
-- An environment's users go with it, as ON DELETE CASCADE did: before its populations (which
-- cascade from it and would otherwise still hold them). The environment's row is locked before
-- this runs, so users inserted meanwhile (which key-share lock it) are committed and seen here.
CREATE FUNCTION "environments_delete_users"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "users" WHERE "environment_id" = OLD."id";
  RETURN OLD;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "environments_delete_users" BEFORE DELETE ON "environments"
  FOR EACH ROW EXECUTE FUNCTION "environments_delete_users"();

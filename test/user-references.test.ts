/**
 * A user's environment and population without foreign keys (migration 0009): its triggers keep
 * what the two foreign keys guaranteed, on both drivers, for every way a user is written (a
 * multi-row INSERT, a bulk batch's COPY on PostgreSQL, an update that moves a user): no user of
 * a population that is not in its environment, no population deleted while it holds users, an
 * environment's users deleted with it. On PostgreSQL also the races a foreign key's key-share
 * lock decides: a population deleted while a user of it is being inserted, either way round.
 * The API's own answers on top of these (a population that holds users, a population deleted
 * during an import) are in populations-api, import-rules and race.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";

let app: TestApp;
let refs: DemoRefs;

beforeAll(async () => {
  app = await startTestApp();
  refs = await app.refs();
});

afterAll(async () => {
  await app?.close();
});

async function db() {
  const { getDb } = await import("@/db");
  return getDb();
}

/** The driver's error code and constraint name of a failed statement. */
async function failure(work: Promise<unknown>): Promise<{ code?: string; constraint?: string }> {
  const { driverError } = await import("@/lib/api/errors");
  const err = await work.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, "the statement was expected to fail").not.toBeNull();
  const d = driverError(err) as { code?: string; constraint?: string; constraint_name?: string } | undefined;
  return { code: d?.code, constraint: d?.constraint ?? d?.constraint_name };
}

const insertUser = (id: string, environmentId: string, populationId: string, username: string) =>
  sql`(${id}::uuid, ${environmentId}::uuid, ${populationId}::uuid, ${username})`;

async function usersNamed(...names: string[]): Promise<number> {
  const { rows } = await import("@/db");
  const found = rows<{ n: number }>(await (await db()).execute(sql`select count(*)::int as n from users where username in (${sql.join(names.map((n) => sql`${n}`), sql`, `)})`));
  return Number(found[0]!.n);
}

/** A new environment of the organization with one population. */
async function newEnvironment(): Promise<{ environmentId: string; populationId: string }> {
  const environmentId = randomUUID();
  const populationId = randomUUID();
  const d = await db();
  await d.execute(sql`insert into environments (id, organization_id, name) values (${environmentId}, ${await app.organizationId()}, ${"refs-" + environmentId.slice(0, 8)})`);
  await d.execute(sql`insert into populations (id, environment_id, name) values (${populationId}, ${environmentId}, 'Only')`);
  return { environmentId, populationId };
}

describe("a user's population and environment", () => {
  it("refuses a statement with one user of a population from another environment, and writes none of its rows", async () => {
    const { environmentId, populationId } = await newEnvironment();
    const d = await db();
    const bad = await failure(
      d.execute(sql`insert into users (id, environment_id, population_id, username) values
        ${insertUser(randomUUID(), FIXED.demoEnvId, refs.defaultPopulationId, "refs-good-1")},
        ${insertUser(randomUUID(), FIXED.demoEnvId, populationId, "refs-bad-1")}`),
    );
    expect(bad).toEqual({ code: "23503", constraint: "users_population_fk" });
    expect(await usersNamed("refs-good-1", "refs-bad-1")).toBe(0);
    // A population that does not exist at all, and an environment that does not.
    expect((await failure(d.execute(sql`insert into users (id, environment_id, population_id, username) values ${insertUser(randomUUID(), environmentId, randomUUID(), "refs-bad-2")}`))).code).toBe("23503");
    expect((await failure(d.execute(sql`insert into users (id, environment_id, population_id, username) values ${insertUser(randomUUID(), randomUUID(), populationId, "refs-bad-3")}`))).code).toBe("23503");
    // The same statement with every population in its environment is written whole.
    await d.execute(sql`insert into users (id, environment_id, population_id, username) values
      ${insertUser(randomUUID(), FIXED.demoEnvId, refs.defaultPopulationId, "refs-good-1")},
      ${insertUser(randomUUID(), FIXED.demoEnvId, refs.contractorsPopulationId, "refs-good-2")},
      ${insertUser(randomUUID(), environmentId, populationId, "refs-good-3")}`);
    expect(await usersNamed("refs-good-1", "refs-good-2", "refs-good-3", "refs-bad-2", "refs-bad-3")).toBe(3);
  });

  it("refuses a bulk batch's write with one row of a missing population (COPY on PostgreSQL)", async () => {
    const { insertUsersOfBatch } = await import("@/lib/users/insert-users");
    const { newUserRow } = await import("@/lib/users/user-row");
    const d = await db();
    const row = (username: string, populationId: string) => ({
      row: newUserRow({ id: randomUUID(), environmentId: FIXED.demoEnvId, populationId, input: { username, population: { id: populationId } }, identityProviderId: null, passwordHash: null, externalPassword: null, now: new Date() }),
      verification: null,
    });
    const batch = [...Array.from({ length: 50 }, (_, i) => row(`refs-batch-${i}`, refs.defaultPopulationId)), row("refs-batch-bad", randomUUID())];
    const bad = await failure(d.transaction((tx) => insertUsersOfBatch(tx, batch)));
    expect(bad).toEqual({ code: "23503", constraint: "users_population_fk" });
    expect(await usersNamed(...batch.map((b) => b.row.username))).toBe(0);
    await d.transaction((tx) => insertUsersOfBatch(tx, batch.slice(0, 50)));
    expect(await usersNamed(...batch.map((b) => b.row.username))).toBe(50);
  });

  it("refuses moving a user to a population of another environment or to none, and lets other updates be", async () => {
    const { populationId } = await newEnvironment();
    const d = await db();
    const id = randomUUID();
    await d.execute(sql`insert into users (id, environment_id, population_id, username) values ${insertUser(id, FIXED.demoEnvId, refs.defaultPopulationId, "refs-mover")}`);
    expect(await failure(d.execute(sql`update users set population_id = ${populationId} where id = ${id}`))).toEqual({ code: "23503", constraint: "users_population_fk" });
    expect((await failure(d.execute(sql`update users set population_id = ${randomUUID()} where id = ${id}`))).code).toBe("23503");
    await d.execute(sql`update users set population_id = ${refs.contractorsPopulationId} where id = ${id}`);
    await d.execute(sql`update users set username = 'refs-mover-2' where id = ${id}`);
    const { rows } = await import("@/db");
    expect(rows<{ population_id: string; username: string }>(await d.execute(sql`select population_id, username from users where id = ${id}`))).toEqual([
      { population_id: refs.contractorsPopulationId, username: "refs-mover-2" },
    ]);
  });

  it("refuses deleting a population that holds users, and deletes one that holds none", async () => {
    const { environmentId, populationId } = await newEnvironment();
    const d = await db();
    const empty = randomUUID();
    await d.execute(sql`insert into populations (id, environment_id, name) values (${empty}, ${environmentId}, 'Empty')`);
    await d.execute(sql`insert into users (id, environment_id, population_id, username) values ${insertUser(randomUUID(), environmentId, populationId, "refs-held")}`);
    expect(await failure(d.execute(sql`delete from populations where id = ${populationId}`))).toEqual({ code: "23503", constraint: "users_population_fk" });
    await d.execute(sql`delete from populations where id = ${empty}`);
    const { rows } = await import("@/db");
    expect(rows<{ id: string }>(await d.execute(sql`select id from populations where environment_id = ${environmentId} order by name`)).map((r) => r.id)).toEqual([populationId]);
  });

  it("deletes an environment's users when the environment is deleted, and no other environment's", async () => {
    const { environmentId, populationId } = await newEnvironment();
    const d = await db();
    const ids = [randomUUID(), randomUUID()];
    await d.execute(sql`insert into users (id, environment_id, population_id, username) values
      ${insertUser(ids[0]!, environmentId, populationId, "refs-gone-1")}, ${insertUser(ids[1]!, environmentId, populationId, "refs-gone-2")}`);
    await d.execute(sql`insert into users (id, environment_id, population_id, username) values ${insertUser(randomUUID(), FIXED.demoEnvId, refs.defaultPopulationId, "refs-stays")}`);
    await d.execute(sql`delete from environments where id = ${environmentId}`);
    expect(await app.countUsers(environmentId)).toBe(0);
    expect(await usersNamed("refs-gone-1", "refs-gone-2", "refs-stays")).toBe(1);
  });
});

describe.runIf(process.env.TEST_DRIVER === "postgres")("races a foreign key's lock decides (PostgreSQL)", () => {
  /** A second connection to the test's database, outside the app's pool. */
  async function other() {
    return postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  }

  it("a population deleted while a user of it is being inserted: the delete waits, then fails", async () => {
    const { environmentId, populationId } = await newEnvironment();
    const a = await other();
    const b = await other();
    try {
      let deleted: Promise<unknown> | undefined;
      await a.begin(async (tx) => {
        await tx`insert into users (id, environment_id, population_id, username) values (${randomUUID()}, ${environmentId}, ${populationId}, 'refs-race-1')`;
        deleted = b`delete from populations where id = ${populationId}`.then(
          () => "deleted",
          (e: { code?: string }) => e.code,
        );
        // The delete is waiting for this transaction's lock.
        await new Promise((r) => setTimeout(r, 300));
        const waiting = await tx`select count(*)::int as n from pg_locks where not granted`;
        expect(waiting[0]!.n).toBeGreaterThan(0);
      });
      expect(await deleted).toBe("23503");
      expect(await usersNamed("refs-race-1")).toBe(1);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("a user inserted while its population is being deleted: the insert waits, then fails", async () => {
    const { environmentId, populationId } = await newEnvironment();
    const a = await other();
    const b = await other();
    try {
      let inserted: Promise<unknown> | undefined;
      await a.begin(async (tx) => {
        await tx`delete from populations where id = ${populationId}`;
        inserted = b`insert into users (id, environment_id, population_id, username) values (${randomUUID()}, ${environmentId}, ${populationId}, 'refs-race-2')`.then(
          () => "inserted",
          (e: { code?: string }) => e.code,
        );
        await new Promise((r) => setTimeout(r, 300));
        const waiting = await tx`select count(*)::int as n from pg_locks where not granted`;
        expect(waiting[0]!.n).toBeGreaterThan(0);
      });
      expect(await inserted).toBe("23503");
      expect(await usersNamed("refs-race-2")).toBe(0);
    } finally {
      await a.end();
      await b.end();
    }
  });

  it("an environment deleted while a user of it is being inserted: the delete waits, then deletes that user too", async () => {
    const { environmentId, populationId } = await newEnvironment();
    const a = await other();
    const b = await other();
    try {
      let deleted: Promise<unknown> | undefined;
      await a.begin(async (tx) => {
        await tx`insert into users (id, environment_id, population_id, username) values (${randomUUID()}, ${environmentId}, ${populationId}, 'refs-race-3')`;
        deleted = b`delete from environments where id = ${environmentId}`.then(
          () => "deleted",
          (e: { code?: string }) => e.code,
        );
        await new Promise((r) => setTimeout(r, 300));
      });
      expect(await deleted).toBe("deleted");
      expect(await usersNamed("refs-race-3")).toBe(0);
    } finally {
      await a.end();
      await b.end();
    }
  });
});

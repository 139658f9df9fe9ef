/**
 * Spec 2.2 rule 8: the database's unique index on (environment, lower(username)) decides
 * concurrent imports of one username: exactly one 201, the others 400 UNIQUENESS_VIOLATION.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/db";
import { users } from "@/db/schema";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectEnvelope } from "./support/http";

let app: TestApp;
let api: Client;
let refs: DemoRefs;

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
});
afterAll(async () => {
  await app?.close();
});

/** All 2^n spellings of `word` in upper and lower case (word of n letters). */
function letterCases(word: string): string[] {
  const out: string[] = [];
  for (let mask = 0; mask < 1 << word.length; mask++) {
    out.push([...word].map((c, i) => (mask & (1 << i) ? c.toUpperCase() : c.toLowerCase())).join(""));
  }
  return out;
}

async function rowsNamed(name: string) {
  const db = await getDb();
  return db.select({ id: users.id, username: users.username }).from(users).where(sql`lower(${users.username}) = ${name.toLowerCase()}`);
}

async function race(bodies: Record<string, unknown>[]) {
  const results = await Promise.all(bodies.map((b) => api.postUser(b)));
  const created = results.filter((r) => r.status === 201);
  const conflicts = results.filter((r) => r.status === 400);
  expect(results.filter((r) => r.status >= 500), results.map((r) => r.text).join("\n")).toEqual([]);
  expect(created).toHaveLength(1);
  expect(conflicts).toHaveLength(bodies.length - 1);
  for (const r of conflicts) {
    const body: unknown = r.body;
    expectEnvelope(body, "INVALID_DATA");
    expect(body.details?.map((d) => [d.code, d.target])).toEqual([["UNIQUENESS_VIOLATION", "username"]]);
    // Every loser learns the winner's id (this caller may read every population).
    expect(body.details?.[0]?.innerError).toEqual({ existingId: created[0]!.body.id });
  }
  return created[0]!;
}

describe("concurrent imports of one username", () => {
  it("32 letter cases at once: one 201, 31 UNIQUENESS_VIOLATION, one row", async () => {
    const spellings = letterCases("alice");
    expect(new Set(spellings).size).toBe(32);
    const winner = await race(spellings.map((username) => ({ username, population: { id: refs.defaultPopulationId } })));
    const rows = await rowsNamed("alice");
    expect(rows).toEqual([{ id: winner.body.id, username: winner.body.username }]);
  });

  it("the same across both populations, with cleartext passwords being hashed meanwhile", async () => {
    const spellings = letterCases("bobby");
    const bodies = spellings.map((username, i) => ({
      username,
      population: { id: i % 2 ? refs.contractorsPopulationId : refs.defaultPopulationId },
      password: { value: `Race-password-${i}` },
    }));
    const winner = await race(bodies);
    expect(await rowsNamed("bobby")).toHaveLength(1);
    const row = await app.passwordRow(winner.body.id);
    expect(row?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it("plain create and import racing each other", async () => {
    const spellings = letterCases("carol");
    const results = await Promise.all(
      spellings.map((username, i) =>
        i % 2 ? api.postUser({ username }, { contentType: "application/json" }) : api.postUser({ username, population: { id: refs.defaultPopulationId } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(31).fill(400)]);
    expect(await rowsNamed("carol")).toHaveLength(1);
  });

  it("leaves other environments alone: the same name can be won once per environment", async () => {
    const orgAdmin = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ORGANIZATION" }]));
    const spellings = letterCases("dave");
    const results = await Promise.all(
      spellings.flatMap((username) => [
        orgAdmin.postUser({ username }, { contentType: "application/json" }),
        orgAdmin.postUser({ username }, { contentType: "application/json", envId: FIXED.adminEnvId }),
      ]),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(2);
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    const envs = (await rowsNamed("dave")).length;
    expect(envs).toBe(2);
  });
});

/**
 * One import decision for every entry point (issue 10): the same bodies sent to
 * POST /environments/{envID}/users and, as rows of bulk jobs (dry run and real run, onConflict
 * fail, skip and update), get the same answer, (target, code) of the first problem. Every error of
 * the contract is here, alone and with a username that is already taken, so that the rule order
 * (references before uniqueness, uniqueness before policy, access before all of them) is checked
 * on both paths. The jobs run in this process (drainImportJobs).
 */
import { randomUUID } from "node:crypto";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drainImportJobs } from "@/lib/bulk/worker";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, uniqueName, type Json } from "./support/http";

let app: TestApp;
let refs: DemoRefs;
let admin: Client;
/** Identity Data Admin of the Contractors population only. */
let scoped: Client;
let hash: string;
const D = FIXED.demoEnvId;

type Answer = "created" | [target: string | null, code: string];
type Body = (username: string) => unknown;
/**
 * A body, who sends it, and what onConflict=update makes of it when its username is taken and
 * it passes every earlier rule (the API has no update to compare with): "updated", or the
 * refusal of an attribute update never changes.
 */
type Case = { name: string; by: "admin" | "scoped"; body: Body; onUpdate?: Answer | "updated" };

const big = "😀".repeat(256);

function cases(): Case[] {
  const pop = { id: refs.defaultPopulationId };
  const contractors = { id: refs.contractorsPopulationId };
  const gateway = (over: Record<string, unknown> = {}) => ({
    external: { gateway: { id: refs.gatewayId, userType: { id: refs.userTypeId }, correlationAttributes: { [refs.correlationAttributes[0]!]: "x" }, ...over } },
  });
  const admin = (name: string, body: Body, onUpdate?: Case["onUpdate"]): Case => ({ name, by: "admin", body, onUpdate });
  return [
    // Accepted bodies (their taken-username variants answer rule 8).
    admin("minimal", (u) => ({ username: u, population: pop }), "updated"),
    admin("profile, email, flags", (u) => ({ username: u, population: pop, email: `${u}@example.com`, name: { given: "G" }, enabled: false, mfaEnabled: true }), "updated"),
    admin("pre-encoded password", (u) => ({ username: u, population: pop, password: { value: hash } }), ["password.value", "INVALID_VALUE"]),
    admin("cleartext password", (u) => ({ username: u, population: pop, password: { value: `Parity-pass-${u}` } }), ["password.value", "INVALID_VALUE"]),
    admin("identity provider", (u) => ({ username: u, population: pop, identityProvider: { id: refs.googleIdpId } }), ["identityProvider.id", "INVALID_VALUE"]),
    admin("gateway", (u) => ({ username: u, population: pop, password: gateway() }), ["password.external.gateway", "INVALID_VALUE"]),
    admin("verification email", (u) => ({ username: u, population: pop, email: `${u}@example.com`, lifecycle: { status: "VERIFICATION_REQUIRED" } }), ["lifecycle.status", "INVALID_VALUE"]),
    admin("verification suppressed, no email", (u) => ({ username: u, population: pop, lifecycle: { status: "VERIFICATION_REQUIRED", suppressVerificationCode: true } }), ["lifecycle.status", "INVALID_VALUE"]),
    // Rule 4: the body.
    admin("not an object", () => [1]),
    admin("no username", () => ({ population: pop })),
    admin("empty username", () => ({ username: "", population: pop })),
    admin("username too long", () => ({ username: "u".repeat(129), population: pop })),
    admin("population without id", (u) => ({ username: u, population: {} })),
    admin("population id not a UUID", (u) => ({ username: u, population: { id: "nope" } })),
    admin("bad email", (u) => ({ username: u, population: pop, email: "not-an-email" })),
    admin("boolean as string", (u) => ({ username: u, population: pop, enabled: "yes" })),
    admin("attribute too long", (u) => ({ username: u, population: pop, name: { given: "g".repeat(257) } })),
    admin("country code", (u) => ({ username: u, population: pop, address: { countryCode: "usa" } })),
    admin("lifecycle status", (u) => ({ username: u, population: pop, lifecycle: { status: "LOCKED" } })),
    admin("suppressVerificationCode as string", (u) => ({ username: u, population: pop, lifecycle: { suppressVerificationCode: "yes" } })),
    admin("VERIFICATION_REQUIRED without email", (u) => ({ username: u, population: pop, lifecycle: { status: "VERIFICATION_REQUIRED" } })),
    admin("malformed hash", (u) => ({ username: u, population: pop, password: { value: "{SSHA}not base64!" } })),
    admin("password value and gateway", (u) => ({ username: u, population: pop, password: { value: hash, ...gateway() } })),
    admin("profile over 16 KB", (u) => ({
      username: u,
      population: pop,
      name: { given: big, family: big, middle: big, formatted: big, honorificPrefix: big, honorificSuffix: big },
      nickname: big, title: big, locale: big, preferredLanguage: big, timezone: big, externalId: big.repeat(4), address: { streetAddress: big, locality: big, region: big }, photo: { href: big },
    })),
    admin("several problems", (u) => ({ username: u, population: pop, email: "nope", enabled: 1, mfaEnabled: "no" })),
    // Rule 5: access (a caller of the Contractors population only).
    { name: "other population", by: "scoped", body: (u) => ({ username: u, population: pop }) },
    { name: "unknown population, scoped", by: "scoped", body: (u) => ({ username: u, population: { id: randomUUID() } }) },
    { name: "other population and unknown identity provider", by: "scoped", body: (u) => ({ username: u, population: pop, identityProvider: { id: randomUUID() } }) },
    // Its taken variant: the existing user lies in the default population, which the caller may not write.
    { name: "own population", by: "scoped", body: (u) => ({ username: u, population: contractors }), onUpdate: ["population.id", "INSUFFICIENT_PERMISSIONS"] },
    // Rules 6 and 7: references.
    admin("unknown population", (u) => ({ username: u, population: { id: randomUUID() } })),
    admin("unknown identity provider", (u) => ({ username: u, population: pop, identityProvider: { id: randomUUID() } })),
    admin("unknown gateway", (u) => ({ username: u, population: pop, password: gateway({ id: randomUUID() }) })),
    admin("unknown user type", (u) => ({ username: u, population: pop, password: gateway({ userType: { id: randomUUID() } }) })),
    admin("unknown link attribute", (u) => ({ username: u, population: pop, password: gateway({ correlationAttributes: { nope: "x" } }) })),
    admin("identity provider with gateway", (u) => ({ username: u, population: pop, identityProvider: { id: refs.googleIdpId }, password: gateway() })),
    // Rule 9: the password policy (after uniqueness).
    admin("password too short", (u) => ({ username: u, population: pop, password: { value: "short" } }), ["password.value", "INVALID_VALUE"]),
    admin("password is the username", (u) => ({ username: u, population: pop, password: { value: u } }), ["password.value", "INVALID_VALUE"]),
  ];
}

function answerOf(res: { status: number; body: Json }): Answer {
  if (res.status === 201) return "created";
  const first = res.body?.details?.[0];
  return [first?.target ?? null, first?.code ?? res.body?.code];
}

const client = (c: Case) => (c.by === "admin" ? admin : scoped);

/** Runs one bulk job of these rows (JSON Lines) as `who`; answers by row number, and the job's counts. */
async function bulk(who: Client, rows: unknown[], onConflict: string, dryRun: boolean) {
  const res = await who.request(`/environments/${D}/userImportJobs?onConflict=${onConflict}&dryRun=${dryRun}`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body: rows.map((r) => JSON.stringify(r)).join("\n") + "\n",
  });
  expect(res.status, res.text).toBe(202);
  await drainImportJobs();
  const job = await who.get(`/environments/${D}/userImportJobs/${res.body.id}`);
  expect(job.body.status).toBe("COMPLETED");
  const report = await who.get(`/environments/${D}/userImportJobs/${res.body.id}/errors`);
  const failed = new Map<number, Answer>((report.body._embedded.errors as Json[]).map((e) => [e.row, [e.target, e.code]]));
  return { failed, counts: job.body.counts as Record<string, number> };
}

beforeAll(async () => {
  app = await startTestApp();
  refs = await app.refs();
  admin = new Client(app, await app.token());
  scoped = admin.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]));
  hash = bcrypt.hashSync("a-password", 4);
});
afterAll(async () => {
  admin?.expectNoLeak([FIXED.workerSecret, hash]);
  await app?.close();
});

describe("POST /users and a bulk job answer every body alike", () => {
  it("with a fresh username, for every onConflict, dry run and real run", async () => {
    const all = cases();
    const api = new Map<string, Answer>();
    for (const c of all) api.set(c.name, answerOf(await client(c).postUser(c.body(uniqueName("api")))));

    for (const onConflict of ["fail", "skip", "update"]) {
      for (const dryRun of [true, false]) {
        for (const by of ["admin", "scoped"] as const) {
          const mine = all.filter((c) => c.by === by);
          const { failed, counts } = await bulk(by === "admin" ? admin : scoped, mine.map((c) => c.body(uniqueName(`bulk-${onConflict}`))), onConflict, dryRun);
          const got = mine.map((c, i) => [c.name, failed.get(i + 1) ?? "created"]);
          expect(got, `${by}, onConflict=${onConflict}, dryRun=${dryRun}`).toEqual(mine.map((c) => [c.name, api.get(c.name)]));
          expect(counts.created).toBe(mine.filter((c) => api.get(c.name) === "created").length);
        }
      }
    }
  });

  it("with a username already taken: the earlier rule's answer, else fail, skip or update", async () => {
    const all = cases();
    // One existing user per case (in the default population), so that no two rows of a job share a username.
    const taken = new Map<string, string>();
    for (const c of all) {
      const username = uniqueName("taken");
      const made = await admin.postUser({ username, population: { id: refs.defaultPopulationId }, password: { value: hash } });
      expect(made.status, made.text).toBe(201);
      taken.set(c.name, username);
    }
    const api = new Map<string, Answer>();
    for (const c of all) api.set(c.name, answerOf(await client(c).postUser(c.body(taken.get(c.name)!))));
    // The API never writes over a taken username: refused at rule 8 or earlier.
    expect([...api.values()].filter((a) => a === "created")).toEqual([]);

    const uniqueness: Answer = ["username", "UNIQUENESS_VIOLATION"];
    const expected = (c: Case, onConflict: string): Answer | "skipped" | "updated" | undefined => {
      const a = api.get(c.name)!;
      if (JSON.stringify(a) !== JSON.stringify(uniqueness) || onConflict === "fail") return a;
      return onConflict === "skip" ? "skipped" : c.onUpdate!;
    };
    for (const onConflict of ["fail", "skip", "update"]) {
      for (const dryRun of [true, false]) {
        for (const by of ["admin", "scoped"] as const) {
          const mine = all.filter((c) => c.by === by);
          const { failed, counts } = await bulk(by === "admin" ? admin : scoped, mine.map((c) => c.body(taken.get(c.name)!)), onConflict, dryRun);
          const want = mine.map((c) => expected(c, onConflict));
          const got = mine.map((c, i) => failed.get(i + 1) ?? (want[i] === "skipped" || want[i] === "updated" ? want[i] : "not reported"));
          expect(mine.map((c, i) => [c.name, got[i]]), `${by}, onConflict=${onConflict}, dryRun=${dryRun}`).toEqual(mine.map((c, i) => [c.name, want[i]]));
          expect(counts).toMatchObject({
            created: 0,
            skipped: want.filter((w) => w === "skipped").length,
            updated: want.filter((w) => w === "updated").length,
            failed: want.filter((w) => Array.isArray(w)).length,
          });
        }
      }
    }
  });
});

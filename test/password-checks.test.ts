/**
 * Password checks under this server's own settings (issue 11): the cost limits as configured
 * (lower than the defaults here), a platform without the libxcrypt addon, and the bounded check
 * pool (one checker, two waiting, a 300 ms budget) answering 503 with Retry-After instead of
 * queueing without end. Settings are read once per process, so they are set before anything runs.
 */
import { pbkdf2Sync, randomBytes } from "node:crypto";

import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

process.env.PASSWORD_MAX_BCRYPT_COST = "11";
process.env.PASSWORD_XCRYPT_ADDON = "/nonexistent/xcrypt.node";
process.env.PASSWORD_CHECK_CONCURRENCY = "1";
process.env.PASSWORD_CHECK_QUEUE = "2";
process.env.PASSWORD_CHECK_WAIT_MS = "300";

import { getDb } from "@/db";
import { users } from "@/db/schema";
import { closePasswordChecks, passwordCheckLoad } from "@/lib/passwords";
import { SECOND_WAVE } from "@/lib/passwords/testdata/vectors";

import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, uniqueName } from "./support/http";

const CHECK = "application/vnd.pingidentity.password.check+json";

let app: TestApp;
let api: Client;
let refs: DemoRefs;
const secrets = new Set<string>([FIXED.workerSecret]);

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
});
afterAll(async () => {
  api?.expectNoLeak(secrets);
  await closePasswordChecks();
  await app?.close();
});

const check = (userId: string, password: string) =>
  api.request(`/environments/${FIXED.demoEnvId}/users/${userId}/password`, {
    method: "POST",
    headers: { "content-type": CHECK },
    body: JSON.stringify({ password }),
  });

async function importUser(value?: string): Promise<string> {
  const res = await api.postUser({ username: uniqueName("chk"), population: { id: refs.defaultPopulationId }, ...(value ? { password: { value } } : {}) });
  expect(res.status, res.text).toBe(201);
  return res.body.id;
}

/** Writes a stored hash directly, as an older release (or another platform) would have left it. */
async function storeDirectly(userId: string, passwordHash: string) {
  await (await getDb()).update(users).set({ passwordHash, passwordStatus: "OK" }).where(eq(users.id, userId));
}

const vector = (form: string) => SECOND_WAVE.find((v) => v.form === form)!;

describe("configured cost limits", () => {
  it("refuses at import what the configured limit excludes, naming the setting and its value", async () => {
    const bcrypt12 = vector("bcrypt$");
    secrets.add(bcrypt12.encoded).add(bcrypt12.password);
    const res = await api.postUser({ username: uniqueName("chk"), population: { id: refs.defaultPopulationId }, password: { value: bcrypt12.encoded } });
    const e = expectInvalidData(res, [["INVALID_VALUE", "password.value"]]);
    expect(e.details![0]!.message).toContain("bcrypt cost 12 is above this server's limit of 11 (PASSWORD_MAX_BCRYPT_COST)");
  });

  it("never computes a stored hash beyond the limits: it simply does not match", async () => {
    const bcrypt12 = vector("bcrypt$");
    const id = await importUser();
    await storeDirectly(id, bcrypt12.encoded);
    expectInvalidData(await check(id, bcrypt12.password), [["INVALID_VALUE", "password"]]);
    expect((await app.passwordRow(id))?.passwordHash).toBe(bcrypt12.encoded);
  });
});

describe("without the libxcrypt addon", () => {
  it("refuses yescrypt at import as not available on this platform", async () => {
    for (const form of ["$y$", "$gy$", "{CRYPT}$y$"]) {
      const v = vector(form);
      secrets.add(v.encoded);
      const res = await api.postUser({ username: uniqueName("chk"), population: { id: refs.defaultPopulationId }, password: { value: v.encoded } });
      const e = expectInvalidData(res, [["INVALID_VALUE", "password.value"]]);
      expect(e.details![0]!.message, form).toContain("not available on this platform");
    }
  });

  it("answers a stored yescrypt hash as no match, never a 500", async () => {
    const v = vector("$y$");
    const id = await importUser();
    await storeDirectly(id, v.encoded);
    expectInvalidData(await check(id, v.password), [["INVALID_VALUE", "password"]]);
  });

  it("still checks everything else, $7$ scrypt included (node:crypto)", async () => {
    const v = vector("$7$");
    const id = await importUser(v.encoded);
    expect((await check(id, v.password)).status).toBe(200);
  });
});

describe("the bounded check pool", () => {
  // PBKDF2-SHA512 at 300,000 iterations: a few hundred milliseconds a check, well within the limits.
  const password = "slow-" + randomBytes(6).toString("hex");
  const salt = randomBytes(16);
  const adapted = (b: Buffer) => b.toString("base64").replace(/\+/g, ".").replace(/=+$/, "");
  const slow = `{PBKDF2-SHA512}300000$${adapted(salt)}$${adapted(pbkdf2Sync(password, salt, 300_000, 64, "sha512"))}`;
  secrets.add(password).add(slow);

  it("runs one check at a time, lets two wait, and refuses the rest with 503 and Retry-After", async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, () => importUser(slow)));
    const started = performance.now();
    const pending = ids.map((id) => check(id, password));
    // While they run: the token endpoint (client secrets are our own argon2id, checked directly) answers.
    expect((await app.token()).length).toBeGreaterThan(20);
    const results = await Promise.all(pending);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.every((s) => s === 200 || s === 503), statuses.join()).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    // The queue holds two: at least three are refused at once.
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThanOrEqual(3);
    for (const r of results.filter((x) => x.status === 503)) {
      expectError(r, 503, "SERVICE_UNAVAILABLE");
      expect(r.headers.get("retry-after")).toBe("1");
    }
    // Nobody waited much longer than the budget for an answer.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(passwordCheckLoad()).toEqual({ running: 0, waiting: 0 });
    // Refused checks changed nothing, and a later check succeeds.
    const refused = ids[results.findIndex((r) => r.status === 503)]!;
    expect((await app.passwordRow(refused))?.passwordHash).toBe(slow);
    expect((await check(refused, password)).status).toBe(200);
  });

  it("closePasswordChecks refuses waiting checks and stops running ones; the next check starts a new pool", async () => {
    const ids = await Promise.all(Array.from({ length: 3 }, () => importUser(slow)));
    const pending = ids.map((id) => check(id, password));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closePasswordChecks();
    const results = await Promise.all(pending);
    for (const r of results) expectError(r, 503, "SERVICE_UNAVAILABLE");
    expect(passwordCheckLoad()).toEqual({ running: 0, waiting: 0 });
    expect((await check(ids[0]!, password)).status).toBe(200);
  });
});

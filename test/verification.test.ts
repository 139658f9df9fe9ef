/**
 * Verification email, spec 4 and 2.3: a VERIFICATION_REQUIRED import writes the code (hashed)
 * and its email into the outbox with the user, or nothing when the import fails; the code from
 * the email verifies the user, once; a resend replaces it; wrong codes are limited per user.
 * The in-process outbox sender delivers to a real SMTP peer on a loopback port.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, uniqueName } from "./support/http";
import { codeFrom, messageIdOf, smtpPeer, type SmtpPeer } from "./support/smtp";

const VERIFY = "application/vnd.pingidentity.user.verify+json";
const RESEND = "application/vnd.pingidentity.user.sendVerificationCode+json";
const D = FIXED.demoEnvId;

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
  // No response ever held a code (or its hash), nor the stored hash of one.
  api?.expectNoLeak(secrets);
  await app?.close();
});

async function db() {
  const { getDb } = await import("@/db");
  return getDb();
}

/** The outbox as the console's mailbox reads it: the only place a code exists in clear. */
async function outboxFor(userId: string) {
  const { emailOutbox } = await import("@/db/schema");
  const rows = await (await db()).select().from(emailOutbox).where(eq(emailOutbox.userId, userId)).orderBy(emailOutbox.createdAt, emailOutbox.id);
  for (const r of rows) {
    const m = r.textBody.match(/^ {4}([A-Z0-9]{8})$/m);
    if (m) secrets.add(m[1]!);
  }
  return rows;
}

async function codeRow(userId: string) {
  const { verificationCodes } = await import("@/db/schema");
  const [row] = await (await db()).select().from(verificationCodes).where(eq(verificationCodes.userId, userId));
  if (row) secrets.add(row.codeHash);
  return row;
}

const latestCode = async (userId: string) => codeFrom((await outboxFor(userId)).at(-1)!.textBody);

async function importVerifying(over: Record<string, unknown> = {}) {
  const username = uniqueName("ver");
  const res = await api.postUser({
    username,
    email: `${username}@example.com`,
    population: { id: refs.defaultPopulationId },
    lifecycle: { status: "VERIFICATION_REQUIRED" },
    ...over,
  });
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string; email: string; username: string; lifecycle: { status: string }; emailVerified: boolean };
}

const userPath = (id: string) => `/environments/${D}/users/${id}`;
const verify = (c: Client, id: string, verificationCode: unknown) =>
  c.request(userPath(id), { method: "POST", headers: { "content-type": VERIFY }, body: JSON.stringify({ verificationCode }) });
const resend = (c: Client, id: string) => c.request(userPath(id), { method: "POST", headers: { "content-type": RESEND } });

describe("import with VERIFICATION_REQUIRED (4, 2.3)", () => {
  it("writes one email with an 8-character code, and stores only a hash of it", async () => {
    const user = await importVerifying();
    expect(user.lifecycle.status).toBe("VERIFICATION_REQUIRED");
    expect(user.emailVerified).toBe(false);
    const mails = await outboxFor(user.id);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.toAddress).toBe(user.email);
    expect(mail.status).toBe("PENDING");
    const code = codeFrom(mail.textBody);
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    expect(mail.htmlBody).toContain(code);
    const stored = await codeRow(user.id);
    expect(stored?.codeHash).toBeTruthy();
    expect(stored!.codeHash).not.toContain(code);
    expect(stored!.expiresAt.getTime() - Date.now()).toBeGreaterThan(23 * 3600_000);
    // The code was sent to the user's address only: never in the API's answer.
    expect(JSON.stringify(user)).not.toContain(code);
  });

  it("sends nothing when suppressVerificationCode is true, or for ACCOUNT_OK", async () => {
    const suppressed = await importVerifying({ lifecycle: { status: "VERIFICATION_REQUIRED", suppressVerificationCode: true } });
    expect(suppressed.lifecycle.status).toBe("VERIFICATION_REQUIRED");
    expect(await outboxFor(suppressed.id)).toHaveLength(0);
    expect(await codeRow(suppressed.id)).toBeUndefined();
    const ok = await importVerifying({ lifecycle: { status: "ACCOUNT_OK" } });
    expect(await outboxFor(ok.id)).toHaveLength(0);
  });

  it("leaves no email and no code behind when the import fails", async () => {
    const { emailOutbox, verificationCodes } = await import("@/db/schema");
    const count = async () => ({
      mails: (await (await db()).select({ id: emailOutbox.id }).from(emailOutbox)).length,
      codes: (await (await db()).select({ id: verificationCodes.userId }).from(verificationCodes)).length,
    });
    const first = await importVerifying();
    const before = await count();
    const dup = await api.postUser({
      username: first.username.toUpperCase(),
      email: "dup@example.com",
      population: { id: refs.defaultPopulationId },
      lifecycle: { status: "VERIFICATION_REQUIRED" },
    });
    expectInvalidData(dup, [["UNIQUENESS_VIOLATION", "username"]]);
    const badPopulation = await api.postUser({
      username: uniqueName("ver"),
      email: "nopop@example.com",
      population: { id: "00000000-0000-4000-8000-0000000000ff" },
      lifecycle: { status: "VERIFICATION_REQUIRED" },
    });
    expectInvalidData(badPopulation, [["INVALID_VALUE", "population.id"]]);
    expect(await count()).toEqual(before);
  });
});

describe("Verify User (4)", () => {
  it("turns the user ACCOUNT_OK with emailVerified true, once", async () => {
    const user = await importVerifying();
    const code = await latestCode(user.id);
    expectInvalidData(await verify(api, user.id, code === "AAAAAAAA" ? "BBBBBBBB" : "AAAAAAAA"), [["INVALID_VALUE", "verificationCode"]]);

    // People retype codes: lower case and surrounding spaces are forgiven.
    const res = await verify(api, user.id, ` ${code.toLowerCase()} `);
    expect(res.status, res.text).toBe(200);
    expect(res.body.id).toBe(user.id);
    expect(res.body.lifecycle).toEqual({ status: "ACCOUNT_OK" });
    expect(res.body.emailVerified).toBe(true);
    expect((await api.get(userPath(user.id))).body).toMatchObject({ lifecycle: { status: "ACCOUNT_OK" }, emailVerified: true });

    // Single use.
    expectInvalidData(await verify(api, user.id, code), [["INVALID_VALUE", "verificationCode"]]);
    expect(await codeRow(user.id)).toBeUndefined();
  });

  it("refuses a body without a code, and other content types with 415", async () => {
    const user = await importVerifying();
    const missing = await api.request(userPath(user.id), { method: "POST", headers: { "content-type": VERIFY }, body: "{}" });
    expectInvalidData(missing, [["REQUIRED_VALUE", "verificationCode"]]);
    expectError(await api.request(userPath(user.id), { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }), 415, "INVALID_REQUEST");
    expectError(await api.request(userPath(user.id), { method: "POST" }), 415, "INVALID_REQUEST");
  });

  it("limits wrong codes per user: 429 REQUEST_LIMITED with Retry-After, even for the right code", async () => {
    const user = await importVerifying();
    const other = await importVerifying();
    const code = await latestCode(user.id);
    const wrong = code === "ZZZZZZZZ" ? "YYYYYYYY" : "ZZZZZZZZ";
    for (let i = 0; i < 5; i++) expectInvalidData(await verify(api, user.id, wrong), [["INVALID_VALUE", "verificationCode"]]);
    const limited = await verify(api, user.id, code);
    const e = expectError(limited, 429, "REQUEST_LIMITED");
    expect(e.details?.map((d) => d.code)).toEqual(["LIMIT_EXCEEDED"]);
    const retryAfter = Number(limited.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect((await api.get(userPath(user.id))).body.lifecycle.status).toBe("VERIFICATION_REQUIRED");
    // Another user is not affected.
    expect((await verify(api, other.id, await latestCode(other.id))).status).toBe(200);
  });
});

describe("Send/Resend User Verification Code (4)", () => {
  it("sends a new code that replaces the old one, and sets VERIFICATION_REQUIRED", async () => {
    const user = await importVerifying();
    const first = await latestCode(user.id);
    const res = await resend(api, user.id);
    expect(res.status, res.text).toBe(204);
    expect(res.text).toBe("");
    const mails = await outboxFor(user.id);
    expect(mails).toHaveLength(2);
    const second = codeFrom(mails[1]!.textBody);
    if (second !== first) expectInvalidData(await verify(api, user.id, first), [["INVALID_VALUE", "verificationCode"]]);
    expect((await verify(api, user.id, second)).status).toBe(200);

    // A verified user asked to verify again is VERIFICATION_REQUIRED until they do.
    expect((await resend(api, user.id)).status).toBe(204);
    expect((await api.get(userPath(user.id))).body.lifecycle.status).toBe("VERIFICATION_REQUIRED");
  });

  it("refuses a user without an email with REQUEST_FAILED", async () => {
    const res = await api.postUser({ username: uniqueName("noemail"), population: { id: refs.defaultPopulationId } });
    expectError(await resend(api, res.body.id), 400, "REQUEST_FAILED");
    expect(await outboxFor(res.body.id)).toHaveLength(0);
  });

  it("needs users:write in the user's population; others learn nothing", async () => {
    const user = await importVerifying();
    const code = await latestCode(user.id);
    const reader = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_READ_ONLY", scope: "ENVIRONMENT", environmentId: D }]));
    const contractors = api.withToken(
      await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]),
    );
    expectError(await verify(reader, user.id, code), 403, "ACCESS_FAILED");
    expectError(await resend(reader, user.id), 403, "ACCESS_FAILED");
    expectError(await verify(contractors, user.id, code), 404, "NOT_FOUND");
    expectError(await resend(contractors, user.id), 404, "NOT_FOUND");
    expectError(await verify(api.withToken(undefined), user.id, code), 401, "ACCESS_FAILED");
    expect(await outboxFor(user.id)).toHaveLength(1);
    expect((await verify(api, user.id, code)).status).toBe(200);
  });
});

describe("bulk import (several users in one statement)", () => {
  it("writes a code and an email for each VERIFICATION_REQUIRED row, and each code verifies its own user only", async () => {
    const { drainImportJobs } = await import("@/lib/bulk/worker");
    const t = uniqueName("bulk");
    const rows = [0, 1, 2].map((i) => ({
      username: `${t}-${i}`,
      email: `${t}-${i}@example.com`,
      population: { id: refs.defaultPopulationId },
      lifecycle: { status: "VERIFICATION_REQUIRED", ...(i === 2 ? { suppressVerificationCode: true } : {}) },
    }));
    const created = await api.request(`/environments/${D}/userImportJobs`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: rows.map((r) => JSON.stringify(r)).join("\n"),
    });
    expect(created.status, created.text).toBe(202);
    await drainImportJobs();
    const ids: string[] = [];
    for (const r of rows) {
      const found = await api.get(`/environments/${D}/users?filter=${encodeURIComponent(`username eq "${r.username}"`)}`);
      ids.push(found.body._embedded.users[0].id);
    }
    const [a, b, suppressed] = ids as [string, string, string];
    expect(await outboxFor(suppressed)).toHaveLength(0);
    const codeA = await latestCode(a);
    const codeB = await latestCode(b);
    if (codeA !== codeB) expectInvalidData(await verify(api, a, codeB), [["INVALID_VALUE", "verificationCode"]]);
    expect((await verify(api, a, codeA)).status).toBe(200);
    expect((await verify(api, b, codeB)).status).toBe(200);
  });
});

describe("outbox sender in this process, to a real SMTP peer", () => {
  let peer: SmtpPeer;
  let stop: (() => Promise<void>) | null = null;
  afterAll(async () => {
    await stop?.();
    await peer?.stop();
  });

  it("delivers the email after commit, and the code from it verifies the user", async () => {
    peer = await smtpPeer();
    const { startOutboxSender } = await import("@/lib/verification/sender");
    const { smtpTransport } = await import("@/lib/verification/sender");
    // Earlier tests' messages are due too: deliver them all, then look for ours.
    stop = startOutboxSender({ transport: smtpTransport(peer.url, "identity-import <no-reply@example.com>"), pollMs: 100 });
    const user = await importVerifying();
    const deadline = Date.now() + 30_000;
    let mine: string | undefined;
    while (!mine && Date.now() < deadline) {
      mine = peer.messages.find((m) => m.to.includes(user.email))?.raw;
      if (!mine) await new Promise((r) => setTimeout(r, 50));
    }
    expect(mine, "message delivered").toBeTruthy();
    const [row] = await outboxFor(user.id);
    expect(messageIdOf(mine!)).toBe(`<${row!.id}@identity-import>`);
    const code = codeFrom(mine!);
    secrets.add(code);
    expect((await verify(api, user.id, code)).status).toBe(200);
    // Marked sent, exactly one delivery of it.
    await expect.poll(async () => (await outboxFor(user.id))[0]!.status).toBe("SENT");
    expect(peer.messages.filter((m) => m.to.includes(user.email))).toHaveLength(1);
  });
});

describe("outbox sender while the SMTP server is down (issue 15)", () => {
  let peer: SmtpPeer;
  let stop: (() => Promise<void>) | null = null;
  afterAll(async () => {
    await stop?.();
    await peer?.stop();
  });

  it("keeps retrying with backoff past OUTBOX_MAX_ATTEMPTS, loses nothing, and delivers each message once when it is back", async () => {
    peer = await smtpPeer({ listen: false });
    const { startOutboxSender, smtpTransport } = await import("@/lib/verification/sender");
    // Earlier tests' pending messages come along: all are delivered once the peer is up.
    stop = startOutboxSender({
      transport: smtpTransport(peer.url, "identity-import <no-reply@example.com>"),
      pollMs: 50,
      retryBaseMs: 20,
      retryMaxMs: 60,
      maxAttempts: 2,
    });
    const users = [await importVerifying(), await importVerifying(), await importVerifying()];
    // Refused again and again, well past maxAttempts: still PENDING, with the error noted.
    await expect
      .poll(async () => Math.min(...(await Promise.all(users.map(async (u) => (await outboxFor(u.id))[0]!.attempts)))), { timeout: 30_000, interval: 50 })
      .toBeGreaterThanOrEqual(4);
    for (const u of users) {
      const [row] = await outboxFor(u.id);
      expect(row!.status).toBe("PENDING");
      expect(row!.lastError).toMatch(/ECONNECTION|ECONNREFUSED|ESOCKET/);
    }
    expect(peer.messages).toHaveLength(0);

    await peer.start();
    for (const u of users) {
      await expect.poll(async () => (await outboxFor(u.id))[0]!.status, { timeout: 30_000, interval: 50 }).toBe("SENT");
    }
    // A little longer, so that a second delivery would have shown.
    await new Promise((r) => setTimeout(r, 300));
    for (const u of users) expect(peer.messages.filter((m) => m.to.includes(u.email))).toHaveLength(1);
    for (const m of peer.messages) secrets.add(codeFrom(m.raw));
  });
});

/**
 * Bulk import (issue 4) over HTTP: the jobs API, with the job worker run in this process
 * (drainImportJobs) so that each test sees a finished job. Rows go through the import API's
 * rules; the error report holds one line per failed row and never a password.
 */
import { randomBytes, randomUUID } from "node:crypto";
import bcrypt from "bcryptjs";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expireStaleUploads } from "@/lib/bulk/housekeeping";
import { processChunk } from "@/lib/bulk/chunk";
import { claimChunk } from "@/lib/bulk/queue";
import { drainImportJobs } from "@/lib/bulk/worker";
import { sql } from "drizzle-orm";
import { getDb, rows } from "@/db";
import { insertUsersOfBatch } from "@/lib/users/insert-users";
import { newUserRow } from "@/lib/users/user-row";
import { needsRehash, verifyPassword } from "@/lib/passwords";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { testDriver } from "./support/fresh-db";
import type { Json } from "./support/http";

let app: TestApp;
let refs: DemoRefs;
let token: string;
let bcryptHash: string;
const envPath = `/environments/${FIXED.demoEnvId}`;

beforeAll(async () => {
  app = await startTestApp();
  token = await app.token();
  refs = await app.refs();
  bcryptHash = bcrypt.hashSync("a-password", 4);
});
afterAll(async () => {
  await app?.close();
});

const tag = () => randomBytes(3).toString("hex");

type Upload = { body: string; type?: string; query?: string; token?: string };

async function upload({ body, type = "text/csv", query = "", token: t = token }: Upload) {
  const res = await app.fetch(`${envPath}/userImportJobs${query}`, {
    method: "POST",
    headers: { authorization: `Bearer ${t}`, "content-type": type },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Json) : null, headers: res.headers };
}

/** An upload stored in chunks of `rows` rows (BULK_CHUNK_ROWS while the file is read), so that a small file makes several batches. */
async function uploadInBatchesOf(rows: number, u: Upload) {
  process.env.BULK_CHUNK_ROWS = String(rows);
  try {
    return await upload(u);
  } finally {
    delete process.env.BULK_CHUNK_ROWS;
  }
}

async function get(path: string, headers: Record<string, string> = {}, t = token) {
  const res = await app.fetch(path, { headers: { authorization: `Bearer ${t}`, ...headers } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Uploads, runs the job to its end, and returns the finished job and its error report. */
async function runJob(u: Upload) {
  const created = await upload(u);
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  await drainImportJobs();
  const job = JSON.parse((await get(`${envPath}/userImportJobs/${created.body.id}`, {}, u.token ?? token)).text);
  const errors = JSON.parse((await get(`${envPath}/userImportJobs/${created.body.id}/errors`, {}, u.token ?? token)).text);
  return { created: created.body, job, errors: errors._embedded.errors as Json[] };
}

async function userByName(username: string) {
  const quoted = username.replace(/[\\"]/g, "\\$&");
  const res = await get(`${envPath}/users?filter=${encodeURIComponent(`username eq "${quoted}"`)}`);
  return JSON.parse(res.text)._embedded.users[0] as Json | undefined;
}

describe("POST /environments/{envID}/userImportJobs", () => {
  it("imports a CSV with BOM, CRLF, quotes and multi-line fields, reporting bad rows by spreadsheet row", async () => {
    const t = tag();
    const csv =
      "\uFEFFusername,email,name.given,name.formatted,population.id,password\r\n" +
      `ann-${t},ann-${t}@example.com,Ann,"Lee, ""Ann""",${refs.contractorsPopulationId},${bcryptHash}\r\n` +
      `bob-${t},not-an-email,Bob,plain,,\r\n` +
      `cid-${t},cid-${t}@example.com,Cid,"two\r\nlines",,\r\n` +
      `\r\n` +
      `dan-${t},dan-${t}@example.com,Dan\r\n` +
      `zoë-${t},,Zoë 🦊,,,\r\n`;
    const before = await app.countUsers(FIXED.demoEnvId);
    const { created, job, errors } = await runJob({ body: csv });
    expect(created.status).toBe("QUEUED");
    expect(created.counts.total).toBe(5);
    expect(job.status).toBe("COMPLETED");
    expect(job.counts).toEqual({ total: 5, processed: 5, created: 3, updated: 0, skipped: 0, failed: 2, deleted: 0, restored: 0, passwordsCopied: 0, linked: 0 });
    expect(job.progress).toMatchObject({ rowsDone: 5, totalRows: 5, percent: 100, estimatedSecondsLeft: 0 });
    expect(await app.countUsers(FIXED.demoEnvId)).toBe(before + 3);
    expect(errors).toEqual([
      { row: 3, username: `bob-${t}`, target: "email", code: "INVALID_VALUE", message: expect.any(String) },
      { row: 6, username: `dan-${t}`, target: "row", code: "INVALID_VALUE", message: "The row has 3 fields but the header has 6." },
    ]);

    const ann = await userByName(`ann-${t}`);
    expect(ann.population.id).toBe(refs.contractorsPopulationId);
    expect(ann.name).toEqual({ given: "Ann", formatted: 'Lee, "Ann"' });
    expect((await app.passwordRow(ann.id))?.passwordHash).toBe(bcryptHash);
    const cid = await userByName(`cid-${t}`);
    expect(cid.population.id).toBe(refs.defaultPopulationId);
    expect(cid.name.formatted).toBe("two\r\nlines");
    expect((await userByName(`zoë-${t}`)).name.given).toBe("Zoë 🦊");
  });

  it("stores every character of a row as sent: backslashes, tabs, \\N, \\. and quotes (the COPY text on PostgreSQL escapes them)", async () => {
    const t = tag();
    const awkward = {
      given: "back\\slash \\t not a tab",
      family: "tab\there",
      formatted: "\\N",
      middle: "\\.",
      honorificPrefix: 'say "hi"\r\nthen\\nbye',
    };
    const body = [
      JSON.stringify({ username: `awk-${t}`, email: `awk-${t}@example.com`, name: awkward, externalId: "\\N", password: { value: bcryptHash } }),
      JSON.stringify({ username: `awk\\${t}`, nickname: "\t", title: "\\" }),
    ].join("\n");
    const { job } = await runJob({ body, type: "application/x-ndjson" });
    expect(job.counts).toMatchObject({ total: 2, created: 2, failed: 0 });
    const a = await userByName(`awk-${t}`);
    expect(a.name).toEqual(awkward);
    expect(a.externalId).toBe("\\N");
    expect((await app.passwordRow(a.id))?.passwordHash).toBe(bcryptHash);
    const b = await userByName(`awk\\${t}`);
    expect(b).toMatchObject({ username: `awk\\${t}`, nickname: "\t", title: "\\" });
    expect(b.email ?? null).toBeNull();
  });

  it("imports JSON Lines and a JSON array of spec 2.1 bodies", async () => {
    const t = tag();
    const ndjson = [0, 1, 2].map((i) => JSON.stringify({ username: `nd${i}-${t}`, password: { value: bcryptHash } })).join("\n");
    const a = await runJob({ body: ndjson, type: "application/x-ndjson" });
    expect(a.job.counts).toMatchObject({ total: 3, created: 3, failed: 0 });

    const array = JSON.stringify([{ username: `ja-${t}`, population: { id: refs.contractorsPopulationId } }, { username: `jb-${t}`, enabled: "yes" }]);
    const b = await runJob({ body: array, type: "application/json" });
    expect(b.job.counts).toMatchObject({ total: 2, created: 1, failed: 1 });
    expect(b.errors).toEqual([{ row: 2, username: `jb-${t}`, target: "enabled", code: "INVALID_VALUE", message: "Must be true or false." }]);
  });

  it("hashes cleartext rows with argon2id on the worker pool, and applies the password policy", async () => {
    const t = tag();
    const csv = `username,password\nc1-${t},correct-horse-battery-${t}\nc2-${t},short\n`;
    const { job, errors } = await runJob({ body: csv });
    expect(job.counts).toMatchObject({ created: 1, failed: 1 });
    const u = await userByName(`c1-${t}`);
    const stored = (await app.passwordRow(u.id))!.passwordHash!;
    expect(stored).toMatch(/^\$argon2id\$v=19\$/);
    expect(needsRehash(stored)).toBe(false);
    expect(await verifyPassword(stored, `correct-horse-battery-${t}`)).toBe(true);
    expect(errors).toEqual([{ row: 3, username: `c2-${t}`, target: "password.value", code: "INVALID_VALUE", message: expect.any(String) }]);
    expect(JSON.stringify(errors)).not.toContain("short");
  });

  it("multipart upload with option fields, and 400s for bad options or files without writing anything", async () => {
    const t = tag();
    const form = new FormData();
    form.set("dryRun", "true");
    form.set("file", new Blob([`username\nm-${t}\n`], { type: "text/csv" }), "users.csv");
    const res = await app.fetch(`${envPath}/userImportJobs`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
    const job = (await res.json()) as Json;
    expect(res.status).toBe(202);
    expect(job).toMatchObject({ dryRun: true, fileName: "users.csv", format: "csv", counts: { total: 1 } });

    const before = await app.countUsers();
    expect((await upload({ body: "username\nx\n", query: "?onConflict=merge" })).body.details[0].target).toBe("onConflict");
    expect((await upload({ body: "email\nx@example.com\n" })).body.details[0].message).toMatch(/no username column/);
    expect((await upload({ body: "[1,", type: "application/json" })).status).toBe(400);
    expect((await upload({ body: "username\nx\n", type: "text/plain" })).status).toBe(415);
    expect((await upload({ body: "username\nx\n", query: `?defaultPopulationId=${FIXED.adminEnvId}` })).body.details[0].target).toBe("defaultPopulationId");
    expect((await upload({ body: "username\nx\n", token: "nope" })).status).toBe(401);
    await drainImportJobs();
    expect(await app.countUsers()).toBe(before);
  });

  it("refuses a file with more rows than BULK_MAX_ROWS, keeping no job", async () => {
    process.env.BULK_MAX_ROWS = "3";
    try {
      const res = await upload({ body: "username\na\nb\nc\nd\n" });
      expect(res.status).toBe(400);
      expect(res.body.details[0]).toMatchObject({ code: "SIZE_LIMIT_EXCEEDED", target: "file" });
    } finally {
      delete process.env.BULK_MAX_ROWS;
    }
  });
});

describe("CSV columns (derived from the import schema, mapped on the server)", () => {
  async function outboxRows(userId: string) {
    const { getDb } = await import("@/db");
    const { emailOutbox } = await import("@/db/schema");
    const { eq } = await import("drizzle-orm");
    return (await getDb()).select({ id: emailOutbox.id }).from(emailOutbox).where(eq(emailOutbox.userId, userId));
  }

  it("reads every boolean column of the schema as a boolean: lifecycle.suppressVerificationCode can be true", async () => {
    const t = tag();
    const csv =
      "username,email,lifecycle.status,lifecycle.suppressVerificationCode,password.forceChange,emailVerified,mfaEnabled,enabled,password\n" +
      `quiet-${t},quiet-${t}@example.com,VERIFICATION_REQUIRED,TRUE,true,false,true,false,${bcryptHash}\n` +
      `noisy-${t},noisy-${t}@example.com,VERIFICATION_REQUIRED,false,,,,,\n`;
    const { job, errors } = await runJob({ body: csv });
    expect(errors).toEqual([]);
    expect(job.counts).toMatchObject({ created: 2, failed: 0 });
    const quiet = await userByName(`quiet-${t}`);
    expect(quiet).toMatchObject({ lifecycle: { status: "VERIFICATION_REQUIRED" }, emailVerified: false, mfaEnabled: true, enabled: false });
    expect((await app.passwordRow(quiet.id))?.passwordStatus).toBe("MUST_CHANGE_PASSWORD");
    // Suppressed: no verification email for it; the other row's email is in the outbox.
    expect(await outboxRows(quiet.id)).toHaveLength(0);
    expect(await outboxRows((await userByName(`noisy-${t}`)).id)).toHaveLength(1);
  });

  it("applies a column mapping sent with the file, so a header cell with a quoted comma is one column", async () => {
    const t = tag();
    const csv = `Login,"Last, First",Notes,E-mail\nann-${t},"Lee, Ann","ignore, me",ann-${t}@example.com\nbob-${t},"Ray, Bob",,bob-${t}@example.com\n`;
    const form = new FormData();
    form.set("columns", JSON.stringify(["username", "name.formatted", null, "email"]));
    form.set("file", new Blob([csv], { type: "text/csv" }), "people.csv");
    const res = await app.fetch(`${envPath}/userImportJobs`, { method: "POST", headers: { authorization: `Bearer ${token}` }, body: form });
    expect(res.status).toBe(202);
    await drainImportJobs();
    const job = JSON.parse((await get(`${envPath}/userImportJobs/${((await res.json()) as Json).id}`)).text);
    expect(job.counts).toMatchObject({ total: 2, created: 2, failed: 0 });
    const ann = await userByName(`ann-${t}`);
    expect(ann).toMatchObject({ email: `ann-${t}@example.com`, name: { formatted: "Lee, Ann" } });
    expect(ann).not.toHaveProperty("Notes");
    // The same file without a mapping: its header names no username path, and is refused whole.
    const unmapped = await upload({ body: csv });
    expect(unmapped.status).toBe(400);
    expect(unmapped.body.details[0]).toMatchObject({ target: "file" });
  });

  it("refuses a mapping that does not fit the file, or a mapping for a file that is not CSV, writing nothing", async () => {
    const before = await app.countUsers();
    const csv = "a,b\nx,y\n";
    const cases: [string, string, RegExp][] = [
      [JSON.stringify(["username"]), "text/csv", /names 1 column but the file's header has 2/],
      [JSON.stringify(["username", "not a path"]), "text/csv", /not an attribute path/],
      [JSON.stringify(["email", null]), "text/csv", /No column is mapped to username/],
      [JSON.stringify(["username", "username"]), "text/csv", /twice/],
      ['{"a":"username"}', "text/csv", /JSON array/],
      [JSON.stringify(["username"]), "application/x-ndjson", /CSV file only/],
    ];
    for (const [columns, type, message] of cases) {
      const res = await upload({ body: type === "text/csv" ? csv : '{"username":"x"}\n', type, query: `?columns=${encodeURIComponent(columns)}` });
      expect(res.status, columns).toBe(400);
      expect(res.body.details[0].target).toBe("columns");
      expect(res.body.details[0].message).toMatch(message);
    }
    await drainImportJobs();
    expect(await app.countUsers()).toBe(before);
  });
});

describe("dry run", () => {
  it("validates every row (duplicates in the file and in the environment) and writes no user", async () => {
    const t = tag();
    await runJob({ body: `username\nexists-${t}\n` });
    const before = await app.countUsers();
    const csv = `username,email\nnew-${t},\nEXISTS-${t},\nnew-${t},\nbad-${t},nope\n`;
    const { job, errors } = await runJob({ body: csv, query: "?dryRun=true" });
    expect(job).toMatchObject({ status: "COMPLETED", dryRun: true, counts: { total: 4, created: 1, failed: 3 } });
    expect(errors.map((e: Json) => [e.row, e.code, e.target])).toEqual([
      [3, "UNIQUENESS_VIOLATION", "username"],
      [4, "UNIQUENESS_VIOLATION", "username"],
      [5, "INVALID_VALUE", "email"],
    ]);
    expect(errors[1].message).toBe("The username is already on row 2 of the file.");
    expect(await app.countUsers()).toBe(before);
  });
});

describe("onConflict", () => {
  it("fail (default) reports, skip skips, update changes the attributes the row sets and never moves a user", async () => {
    const t = tag();
    await runJob({ body: `username,name.given,name.family,title,population.id,password\nu-${t},Old,Keep,Mr,${refs.contractorsPopulationId},${bcryptHash}\n` });
    const original = await userByName(`u-${t}`);

    const fail = await runJob({ body: `username,name.given\nU-${t},New\n` });
    expect(fail.job.counts).toMatchObject({ created: 0, failed: 1 });
    expect(fail.errors[0]).toMatchObject({ row: 2, code: "UNIQUENESS_VIOLATION", target: "username" });

    const skip = await runJob({ body: `username,name.given\nu-${t},New\nfresh-${t},F\n`, query: "?onConflict=skip" });
    expect(skip.job.counts).toMatchObject({ created: 1, skipped: 1, failed: 0 });
    expect((await userByName(`u-${t}`)).name.given).toBe("Old");

    const update = await runJob({
      body: `username,name.given,email,enabled,mfaEnabled\nu-${t},New,new-${t}@example.com,false,true\n`,
      query: "?onConflict=update",
    });
    expect(update.errors).toEqual([]);
    expect(update.job.counts).toMatchObject({ updated: 1, failed: 0 });
    const after = await userByName(`u-${t}`);
    // name.given replaced, name.family and title kept: the row's attributes over the stored ones.
    expect(after).toMatchObject({ id: original.id, name: { given: "New", family: "Keep" }, title: "Mr", email: `new-${t}@example.com`, enabled: false, mfaEnabled: true });
    expect(after.population.id).toBe(refs.contractorsPopulationId);
    expect((await app.passwordRow(original.id))?.passwordHash).toBe(bcryptHash);

    const move = await runJob({ body: `username,population.id,name.given\nu-${t},${refs.defaultPopulationId},Moved\n`, query: "?onConflict=update" });
    expect(move.job.counts).toMatchObject({ updated: 0, failed: 1 });
    expect(move.errors[0]).toMatchObject({ target: "population.id", code: "INVALID_VALUE" });
    expect((await userByName(`u-${t}`)).population.id).toBe(refs.contractorsPopulationId);
  });

  it("update refuses, row by row and without changing the user, a password, lifecycle or identity provider, and reports a bad reference", async () => {
    const t = tag();
    await runJob({ body: `username,name.given,password\nv-${t},Old,${bcryptHash}\n` });
    const user = await userByName(`v-${t}`);
    const rows = [
      { username: `v-${t}`, name: { given: "A" }, password: { value: "a-new-cleartext-password" } },
      { username: `v-${t}`, name: { given: "B" }, lifecycle: { status: "ACCOUNT_OK" } },
      { username: `v-${t}`, name: { given: "C" }, identityProvider: { id: refs.googleIdpId } },
      { username: `v-${t}`, name: { given: "D" }, identityProvider: { id: crypto.randomUUID() } },
    ];
    // One job per row: in one file, the second row would be a duplicate of the first.
    const answers = [];
    for (const r of rows) {
      const { job, errors } = await runJob({ body: JSON.stringify(r) + "\n", type: "application/x-ndjson", query: "?onConflict=update" });
      expect(job.counts).toMatchObject({ updated: 0, failed: 1 });
      answers.push([errors[0].target, errors[0].code]);
    }
    expect(answers).toEqual([
      ["password.value", "INVALID_VALUE"],
      ["lifecycle.status", "INVALID_VALUE"],
      ["identityProvider.id", "INVALID_VALUE"],
      ["identityProvider.id", "INVALID_VALUE"],
    ]);
    const after = await userByName(`v-${t}`);
    expect(after).toMatchObject({ name: { given: "Old" }, lifecycle: { status: "ACCOUNT_OK" }, identityProvider: { type: "PING_ONE" }, updatedAt: user.updatedAt });
    expect((await app.passwordRow(user.id))?.passwordHash).toBe(bcryptHash);
  });

  it("update of the email leaves the user unverified unless the row says otherwise, as PATCH does", async () => {
    const t = tag();
    await runJob({ body: `username,email,emailVerified\nx-${t},x-${t}@example.com,true\n` });
    expect(await userByName(`x-${t}`)).toMatchObject({ emailVerified: true });
    // The same address in another case is not a change.
    await runJob({ body: `username,email\nx-${t},X-${t}@Example.com\n`, query: "?onConflict=update" });
    expect(await userByName(`x-${t}`)).toMatchObject({ emailVerified: true });
    // A new address: nobody has verified it yet.
    const moved = await runJob({ body: `username,email\nx-${t},other-${t}@example.com\n`, query: "?onConflict=update" });
    expect(moved.job.counts).toMatchObject({ updated: 1, failed: 0 });
    expect(await userByName(`x-${t}`)).toMatchObject({ email: `other-${t}@example.com`, emailVerified: false });
    // Unless the row itself vouches for it (an import may carry the old system's verification).
    await runJob({ body: `username,email,emailVerified\nx-${t},third-${t}@example.com,true\n`, query: "?onConflict=update" });
    expect(await userByName(`x-${t}`)).toMatchObject({ email: `third-${t}@example.com`, emailVerified: true });
    // A row that leaves the email out changes nothing about it.
    await runJob({ body: `username,name.given\nx-${t},Renamed\n`, query: "?onConflict=update" });
    expect(await userByName(`x-${t}`)).toMatchObject({ email: `third-${t}@example.com`, emailVerified: true });
  });

  it("update keeps the 16 KB profile limit on the merged profile", async () => {
    const t = tag();
    const big = "😀".repeat(256);
    // Each part is within its own limit, and each row's profile (about 11 KB, 8 KB) within 16 KB.
    const first = { username: `w-${t}`, name: { given: big, family: big, middle: big, formatted: big, honorificPrefix: big, honorificSuffix: big }, nickname: big, title: big, locale: big, preferredLanguage: big, timezone: big };
    expect((await runJob({ body: JSON.stringify(first) + "\n", type: "application/x-ndjson" })).job.counts).toMatchObject({ created: 1 });
    const more = { username: `w-${t}`, externalId: big.repeat(4), address: { streetAddress: big, locality: big, region: big }, photo: { href: big } };
    const { job, errors } = await runJob({ body: JSON.stringify(more) + "\n", type: "application/x-ndjson", query: "?onConflict=update" });
    expect(job.counts).toMatchObject({ updated: 0, failed: 1 });
    expect(errors[0]).toMatchObject({ target: "body", code: "SIZE_LIMIT_EXCEEDED" });
  });
});

describe("duplicates across batches", () => {
  // Batches of two rows: every duplicate below is in a later batch than the row it repeats.
  it.each(["fail", "skip"] as const)("onConflict=%s: a repeated username is told the row that has it, whether that row created a user or failed", async (onConflict) => {
    const t = tag();
    await runJob({ body: `username\nexists-${t}\n` });
    const csv = [
      "username,password",
      `a-${t},`, // row 2: created
      `w-${t},short`, // row 3: fails the password policy (rule 9), its username stays claimed
      `A-${t},`, // row 4: the user row 2 created
      `W-${t},correct-horse-battery-${t}`, // row 5: would be created, but row 3 has its username
      `exists-${t},`, // row 6: a user of the environment has it
      `a-${t},`, // row 7: the user row 2 created
      `EXISTS-${t},`, // row 8: row 6 has it
      `b-${t},`, // row 9: created
    ].join("\n") + "\n";
    const created = await uploadInBatchesOf(2, { body: csv, query: `?onConflict=${onConflict}` });
    expect(created.status).toBe(202);
    await drainImportJobs();
    const job = JSON.parse((await get(`${envPath}/userImportJobs/${created.body.id}`)).text);
    const errors = JSON.parse((await get(`${envPath}/userImportJobs/${created.body.id}/errors`)).text)._embedded.errors as Json[];
    const taken = onConflict === "fail" ? [[6, "UNIQUENESS_VIOLATION", "A user with this username already exists in the environment."]] : [];
    expect(errors.map((e) => [e.row, e.code, e.message])).toEqual([
      [3, "INVALID_VALUE", expect.any(String)],
      [4, "UNIQUENESS_VIOLATION", "The username is already on row 2 of the file."],
      [5, "UNIQUENESS_VIOLATION", "The username is already on row 3 of the file."],
      ...taken,
      [7, "UNIQUENESS_VIOLATION", "The username is already on row 2 of the file."],
      [8, "UNIQUENESS_VIOLATION", "The username is already on row 6 of the file."],
    ]);
    expect(job.counts).toMatchObject({ total: 8, created: 2, skipped: onConflict === "skip" ? 1 : 0, failed: taken.length + 5 });
    expect((await userByName(`a-${t}`))?.username).toBe(`a-${t}`);
    expect(await userByName(`w-${t}`)).toBeUndefined();
  });

  it("an LDIF entry repeated in a later batch is told the row and named by its DN", async () => {
    const t = tag();
    const entry = (uid: string) => `dn: uid=${uid},ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: S\n`;
    // Entries begin on lines 1, 7 and 13.
    const ldif = [entry(`l-${t}`), entry(`m-${t}`), entry(`L-${t}`)].join("\n");
    const created = await uploadInBatchesOf(2, { body: ldif, type: "text/ldif" });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    await drainImportJobs();
    const errors = JSON.parse((await get(`${envPath}/userImportJobs/${created.body.id}/errors`)).text)._embedded.errors as Json[];
    expect(errors.map((e) => [e.row, e.code, e.message])).toEqual([
      [13, "UNIQUENESS_VIOLATION", `The username is already on row 1 of the file. (DN: uid=L-${t},ou=people,dc=example,dc=com)`],
    ]);
  });
});

describe("the COPY of a batch's users (PostgreSQL)", () => {
  it.skipIf(testDriver() !== "postgres")("is part of the batch's transaction: invisible to others before the commit, gone with a rollback", async () => {
    const t = tag();
    const db = await getDb();
    const row = newUserRow({
      id: randomUUID(),
      environmentId: FIXED.demoEnvId,
      populationId: refs.defaultPopulationId,
      input: { username: `copy-${t}`, population: { id: refs.defaultPopulationId } },
      identityProviderId: null,
      passwordHash: bcryptHash,
      externalPassword: null,
      now: new Date(),
    });
    const other = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    const count = async () => (await other`select count(*)::int as n from users where id = ${row.id}`)[0]!.n as number;
    try {
      const rolledBack = db.transaction(async (tx) => {
        await insertUsersOfBatch(tx, [{ row, verification: null }]);
        const [inside] = rows<{ n: number }>(await tx.execute(sql`select count(*)::int as n from users where id = ${row.id}`));
        expect(inside!.n).toBe(1);
        expect(await count()).toBe(0);
        throw new Error("roll back");
      });
      await expect(rolledBack).rejects.toThrow("roll back");
      expect(await count()).toBe(0);
    } finally {
      await other.end({ timeout: 5 });
    }
  });
});

describe("a job's large values and its audit events", () => {
  it("stores the file's chunks and the batch's audit event compressed with lz4 on PostgreSQL, and with pglz where lz4 is not built in (PGlite)", async () => {
    const t = tag();
    const csv = "username,email\n" + Array.from({ length: 200 }, (_, i) => `lz4-${t}-${i},lz4-${t}-${i}@example.com`).join("\n") + "\n";
    const created = await upload({ body: csv });
    expect(created.status).toBe(202);
    const db = await getDb();
    const method = driverMethod();
    const [chunk] = rows<{ c: string | null }>(await db.execute(sql`select pg_column_compression(data) as c from user_import_chunks where job_id = ${created.body.id}::uuid`));
    expect(chunk!.c).toBe(method);
    await drainImportJobs();
    const [event] = rows<{ c: string | null; n: number }>(
      await db.execute(sql`select pg_column_compression(details) as c, jsonb_array_length(details->'users')::int as n from audit_events where resource_id = ${created.body.id}::uuid`),
    );
    expect(event).toEqual({ c: method, n: 200 });
  });

  it("is one event per batch, by the job's actor, naming each user it created with the user's row, population, password status and kind", async () => {
    const t = tag();
    const csv = `username,password.value,population.id\naud-a-${t},${bcryptHash},\naud-b-${t},,${refs.contractorsPopulationId}\naud-c-${t},,\n`;
    const created = await uploadInBatchesOf(2, { body: csv });
    expect(created.status).toBe(202);
    await drainImportJobs();
    const db = await getDb();
    const ids = Object.fromEntries(
      rows<{ username: string; id: string }>(await db.execute(sql`select username, id::text from users where username like ${`aud-_-${t}`}`)).map((u) => [u.username, u.id]),
    );
    const events = rows<{ action: string; via: string; actor_type: string; resource_type: string; details: { jobId: string; batch: number; users: Json[] } }>(
      await db.execute(sql`select action, via, actor_type, resource_type, details from audit_events where resource_id = ${created.body.id}::uuid order by details->>'batch'`),
    );
    expect(events.map((e) => [e.action, e.via, e.actor_type, e.resource_type, e.details.jobId, e.details.batch])).toEqual([
      ["USER.IMPORTED", "BULK", "APPLICATION", "USER_IMPORT_JOB", created.body.id, 0],
      ["USER.IMPORTED", "BULK", "APPLICATION", "USER_IMPORT_JOB", created.body.id, 1],
    ]);
    // In the order the batch's rows were prepared, which is not always the file's (a hash is awaited).
    expect(events.map((e) => [...e.details.users].sort((a, b) => a.row - b.row))).toEqual([
      [
        { id: ids[`aud-a-${t}`], row: 2, populationId: refs.defaultPopulationId, passwordStatus: "OK", passwordKind: "BCRYPT" },
        { id: ids[`aud-b-${t}`], row: 3, populationId: refs.contractorsPopulationId, passwordStatus: "NO_PASSWORD", passwordKind: "none" },
      ],
      [{ id: ids[`aud-c-${t}`], row: 4, populationId: refs.defaultPopulationId, passwordStatus: "NO_PASSWORD", passwordKind: "none" }],
    ]);
    // No user of a batch has an event of its own.
    const own = rows<{ n: number }>(await db.execute(sql`select count(*)::int as n from audit_events where resource_id in (select id from users where username like ${`aud-_-${t}`})`));
    expect(own[0]!.n).toBe(0);
  });
});

const driverMethod = () => (testDriver() === "postgres" ? "lz4" : "pglz");

/** Until a batch's write of its users (a COPY on PostgreSQL, db/copy.ts) waits on a lock that another transaction holds. */
async function batchWaitsOn(other: postgres.Sql): Promise<void> {
  for (let waited = 0; ; waited += 20) {
    const [w] = await other`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and (query ilike '%insert into users%' or query ilike 'copy "users"%')`;
    if (w!.n > 0) return;
    if (waited > 10_000) throw new Error("the batch never waited for the other writer");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a username taken between a batch's decision and its write", () => {
  // PostgreSQL only: another connection must hold the username, uncommitted, while the batch writes.
  it.skipIf(testDriver() !== "postgres")("waits for the other writer, then decides the batch again: the row fails, the others are imported once", async () => {
    const t = tag();
    const created = await upload({ body: `username,name.given\na-${t},A\nb-${t},B\nc-${t},C\n` });
    expect(created.status).toBe(202);
    const other = postgres(process.env.DATABASE_URL!, { max: 2, onnotice: () => {} });
    try {
      const taker = await other.reserve();
      await taker`begin`;
      // Someone else (an API import, another job) takes b, not yet committed: the batch's decision cannot see it.
      await taker`insert into users (id, environment_id, population_id, username) values (${randomUUID()}, ${FIXED.demoEnvId}, ${refs.defaultPopulationId}, ${`B-${t}`})`;
      const worked = drainImportJobs();
      // The batch's insert waits on the unique index for the other transaction.
      await batchWaitsOn(other);
      await taker`commit`;
      taker.release();
      await worked;
    } finally {
      await other.end({ timeout: 5 });
    }
    const job = JSON.parse((await get(`${envPath}/userImportJobs/${created.body!.id}`)).text);
    const errors = JSON.parse((await get(`${envPath}/userImportJobs/${created.body!.id}/errors`)).text)._embedded.errors as Json[];
    expect(job).toMatchObject({ status: "COMPLETED", counts: { total: 3, created: 2, failed: 1 } });
    expect(errors).toEqual([expect.objectContaining({ row: 3, username: `b-${t}`, code: "UNIQUENESS_VIOLATION", target: "username" })]);
    expect((await userByName(`a-${t}`))?.name).toEqual({ given: "A" });
    expect((await userByName(`c-${t}`))?.name).toEqual({ given: "C" });
    expect((await userByName(`b-${t}`))?.username).toBe(`B-${t}`);
  });
});

describe("a population deleted between a batch's decision and its write", () => {
  // PostgreSQL only: another connection must delete the population, uncommitted, while the batch writes.
  it.skipIf(testDriver() !== "postgres")("decides the batch again at once: its rows for that population fail rule 6, the others are imported", async () => {
    const t = tag();
    const other = postgres(process.env.DATABASE_URL!, { max: 2, onnotice: () => {} });
    try {
      const pop = randomUUID();
      await other`insert into populations (id, environment_id, name) values (${pop}, ${FIXED.demoEnvId}, ${`Leaving ${t}`})`;
      const created = await upload({ body: `username,population.id\na-${t},${pop}\nb-${t},\nc-${t},${pop}\n` });
      expect(created.status).toBe(202);
      const deleter = await other.reserve();
      await deleter`begin`;
      // The population goes, not yet committed: the batch's decision still sees it.
      await deleter`delete from populations where id = ${pop}`;
      const worked = drainImportJobs();
      // The batch's foreign-key check waits for the other transaction.
      await batchWaitsOn(other);
      await deleter`commit`;
      deleter.release();
      // Before: the batch failed (23503) and was worked again only after its lease ran out.
      expect(await worked).toBe(1);
      const job = JSON.parse((await get(`${envPath}/userImportJobs/${created.body!.id}`)).text);
      const errors = JSON.parse((await get(`${envPath}/userImportJobs/${created.body!.id}/errors`)).text)._embedded.errors as Json[];
      expect(job).toMatchObject({ status: "COMPLETED", counts: { total: 3, created: 1, failed: 2 } });
      expect(errors.map((e) => [e.row, e.username, e.target])).toEqual([
        [2, `a-${t}`, "population.id"],
        [4, `c-${t}`, "population.id"],
      ]);
      expect(await userByName(`a-${t}`)).toBeUndefined();
      expect((await userByName(`b-${t}`))?.population).toEqual({ id: refs.defaultPopulationId });
    } finally {
      await other.end({ timeout: 5 });
    }
  });
});

describe("access per row (spec 6)", () => {
  it("a population-scoped administrator's rows for other populations fail with INSUFFICIENT_PERMISSIONS", async () => {
    const t = tag();
    const scoped = await app.tokenFor([
      { role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: FIXED.demoEnvId, populationId: refs.contractorsPopulationId },
    ]);
    const csv = `username,population.id\nmine-${t},${refs.contractorsPopulationId}\ntheirs-${t},${refs.defaultPopulationId}\ndefault-${t},\n`;
    const { job, errors } = await runJob({ body: csv, token: scoped });
    expect(job.counts).toMatchObject({ created: 1, failed: 2 });
    expect(errors.map((e: Json) => [e.row, e.code, e.target])).toEqual([
      [3, "INSUFFICIENT_PERMISSIONS", "population.id"],
      [4, "INSUFFICIENT_PERMISSIONS", "population.id"],
    ]);
    expect(await userByName(`theirs-${t}`)).toBeUndefined();

    // The job is the scoped admin's; a read-only actor of one population cannot see it.
    const reader = await app.tokenFor([
      { role: "IDENTITY_DATA_READ_ONLY", scope: "POPULATION", environmentId: FIXED.demoEnvId, populationId: refs.defaultPopulationId },
    ]);
    expect((await get(`${envPath}/userImportJobs/${job.id}`, {}, reader)).status).toBe(404);
    expect((await upload({ body: `username\nx-${t}\n`, token: reader })).status).toBe(403);
  });
});

describe("error report", () => {
  it("CSV: one line per failed row, formula cells escaped, never a password", async () => {
    const t = tag();
    const secret = `Sup3r-${t}`;
    const csv = [
      "username,email,password",
      `"=HYPERLINK(""x"")-${t}",bad,`,
      `+plus-${t},bad,`,
      `-minus-${t},bad,`,
      `@at-${t},bad,`,
      `ok-${t},,${bcryptHash}`,
      `pw-${t},,${secret.slice(0, 3)}`,
      `"comma, ${t}",bad,`,
    ].join("\n");
    const { job } = await runJob({ body: csv });
    expect(job.counts).toMatchObject({ created: 1, failed: 6 });
    const report = await get(`${envPath}/userImportJobs/${job.id}/errors`, { accept: "text/csv" });
    expect(report.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = report.text.trimEnd().split("\r\n");
    expect(lines[0]).toBe("row,username,target,code,message");
    expect(lines.slice(1).map((l) => l.split(",").slice(0, 2).join(","))).toEqual([
      `2,"'=HYPERLINK(""x"")-${t}"`,
      `3,'+plus-${t}`,
      `4,'-minus-${t}`,
      `5,'@at-${t}`,
      `7,pw-${t}`,
      `8,"comma`,
    ]);
    expect(report.text).not.toContain(secret.slice(0, 3) + ",");
    expect(report.text).not.toContain("$2");
    const viaQuery = await get(`${envPath}/userImportJobs/${job.id}/errors?format=csv`);
    expect(viaQuery.text).toBe(report.text);
  });
});

describe("progress (issue 15): phase, rows per second over the last minute, history", () => {
  const getJob = async (id: string) => JSON.parse((await get(`${envPath}/userImportJobs/${id}`)).text) as Json;

  it("an import goes validating → importing → reporting, with its rate and its history over its life", async () => {
    const t = tag();
    const csv = "username,email\n" + Array.from({ length: 9 }, (_, i) => `prog-${t}-${i},prog-${t}-${i}@example.com`).join("\n") + "\n";
    const created = await uploadInBatchesOf(3, { body: csv });
    expect(created.status).toBe(202);
    expect(created.body.phase).toBe("validating");
    expect(created.body.progress).toMatchObject({ rowsPerSecondLastMinute: 0, history: [] });

    // One batch of three written: importing, at a rate above zero.
    const owner = `test-${t}`;
    const first = await claimChunk(owner);
    expect(first?.jobId).toBe(created.body.id);
    expect(await processChunk(owner, first!)).toBe(true);
    const midway = await getJob(created.body.id);
    expect(midway.status).toBe("RUNNING");
    expect(midway.phase).toBe("importing");
    expect(midway.progress.rowsDone).toBe(3);
    expect(midway.progress.rowsPerSecondLastMinute).toBeGreaterThan(0);
    expect(midway.progress.history[0]).toEqual([0, 0]);

    await drainImportJobs();
    const done = await getJob(created.body.id);
    expect(done.status).toBe("COMPLETED");
    expect(done.phase).toBe("reporting");
    expect(done.progress.rowsPerSecondLastMinute).toBeGreaterThan(0);
    const history = done.progress.history as [number, number][];
    // From the start at zero rows to the last batch at every row, in time order.
    expect(history[0]).toEqual([0, 0]);
    expect(history[history.length - 1]![1]).toBe(9);
    for (let i = 1; i < history.length; i++) {
      expect(history[i]![0]).toBeGreaterThanOrEqual(history[i - 1]![0]);
      expect(history[i]![1]).toBeGreaterThanOrEqual(history[i - 1]![1]);
    }
    // The list shows the same fields.
    const list = JSON.parse((await get(`${envPath}/userImportJobs`)).text);
    const listed = list._embedded.userImportJobs.find((j: Json) => j.id === created.body.id);
    expect(listed).toMatchObject({ phase: "reporting", progress: { rowsPerSecondLastMinute: done.progress.rowsPerSecondLastMinute } });
  });

  it("a dry run stays validating while it runs", async () => {
    const t = tag();
    const csv = "username\n" + Array.from({ length: 4 }, (_, i) => `dryprog-${t}-${i}`).join("\n") + "\n";
    const created = await uploadInBatchesOf(2, { body: csv, query: "?dryRun=true" });
    const owner = `test-${t}`;
    const first = await claimChunk(owner);
    expect(await processChunk(owner, first!)).toBe(true);
    expect((await getJob(created.body.id)).phase).toBe("validating");
    await drainImportJobs();
    expect(await getJob(created.body.id)).toMatchObject({ status: "COMPLETED", phase: "reporting" });
  });
});

describe("jobs", () => {
  it("lists jobs, 404s unknown ones, and cancels only a job that has not ended", async () => {
    const t = tag();
    const queued = await upload({ body: `username\nq-${t}\n` });
    const list = JSON.parse((await get(`${envPath}/userImportJobs`)).text);
    expect(list._embedded.userImportJobs.map((j: Json) => j.id)).toContain(queued.body.id);
    const cancel = await app.fetch(`${envPath}/userImportJobs/${queued.body.id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(cancel.status).toBe(200);
    expect(((await cancel.json()) as Json).status).toBe("CANCELED");
    await drainImportJobs();
    expect(await userByName(`q-${t}`)).toBeUndefined();
    const again = await app.fetch(`${envPath}/userImportJobs/${queued.body.id}/cancel`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(again.status).toBe(400);
    expect((await get(`${envPath}/userImportJobs/${FIXED.workerId}`)).status).toBe(404);
    expect((await get(`${envPath}/userImportJobs/not-a-uuid`)).status).toBe(404);
  });
});

describe("uploads cut off by a crash", () => {
  it("are marked FAILED after their time and their stored chunks dropped; nothing is imported", async () => {
    const { getDb } = await import("@/db");
    const { userImportJobs, userImportChunks } = await import("@/db/schema");
    const { eq, sql } = await import("drizzle-orm");
    const db = await getDb();
    const id = crypto.randomUUID();
    await db.insert(userImportJobs).values({
      id, environmentId: FIXED.demoEnvId, actorType: "APPLICATION", actorId: FIXED.workerId, format: "csv", status: "UPLOADING",
      createdAt: new Date(Date.now() - 2 * 3600_000),
    });
    await db.insert(userImportChunks).values({ jobId: id, seq: 0, rowCount: 1, data: JSON.stringify({ r: 2, b: { username: `stale-${tag()}` } }) });
    const before = await app.countUsers();
    await expireStaleUploads();
    await drainImportJobs();
    const [job] = await db.select().from(userImportJobs).where(eq(userImportJobs.id, id));
    expect(job?.status).toBe("FAILED");
    const [left] = await db.select({ n: sql<number>`count(*)::int` }).from(userImportChunks).where(eq(userImportChunks.jobId, id));
    expect(left?.n).toBe(0);
    expect(await app.countUsers()).toBe(before);
  });
});

describe("a large file, parsed on a thread of its own (BULK_PARSE_THREAD_BYTES; 0: every file)", () => {
  /** Runs `fn` with the file parsed on the upload's own thread (a small file's default), then on a parser thread. */
  async function onBothThreads<T>(fn: (t: string) => Promise<T>): Promise<{ here: T; thread: T }> {
    const here = await fn(tag());
    process.env.BULK_PARSE_THREAD_BYTES = "0";
    try {
      return { here, thread: await fn(tag()) };
    } finally {
      delete process.env.BULK_PARSE_THREAD_BYTES;
    }
  }
  const jobCount = async () => {
    const db = await getDb();
    return Number(rows<{ n: number }>(await db.execute(sql`select count(*)::int as n from user_import_jobs`))[0]!.n);
  };
  /** The job's counts, its chunks (as the upload cut them) and its error lines, with the run's tag taken out. */
  async function outcome(t: string, u: Upload) {
    const { created, job, errors } = await runJob(u);
    const db = await getDb();
    const chunks = rows<{ seq: number; row_count: number }>(await db.execute(sql`select seq, row_count from user_import_chunks where job_id = ${created.id} order by seq`));
    return {
      counts: job.counts,
      chunks: chunks.map((c) => Number(c.row_count)),
      errors: JSON.parse(JSON.stringify(errors).replaceAll(t, "TAG")) as Json[],
    };
  }

  it("makes the same chunks, users and error lines from CSV (BOM, CRLF, quotes, lines cut short), JSON Lines and LDIF", async () => {
    const csv = (t: string) =>
      "\uFEFFusername,email,name.given,name.formatted,password\r\n" +
      `ann-${t},ann-${t}@example.com,Ann,"Lee, ""Ann""",${bcryptHash}\r\n` +
      `bob-${t},not-an-email,Bob,plain,\r\n` +
      `cid-${t},cid-${t}@example.com,Cid,"two\r\nlines",\r\n` +
      `dan-${t},dan-${t}@example.com,Dan\r\n` +
      `ann-${t},again@example.com,Ann,,\r\n` +
      `eve-${t},,Eve 🦊,,correct-horse-battery-${t}\r\n` +
      `fay-${t},,Fay,,\r\n`;
    const { here, thread } = await onBothThreads((t) => outcome(t, { body: csv(t), query: "?onConflict=fail" }));
    expect(here.counts).toMatchObject({ total: 7, created: 4, failed: 3 });
    expect(thread).toEqual(here);

    const ndjson = (t: string) => [JSON.stringify({ username: `nd-${t}` }), "{not json", JSON.stringify({ username: `ne-${t}`, enabled: "yes" }), "[1]"].join("\n");
    const nd = await onBothThreads((t) => outcome(t, { body: ndjson(t), type: "application/x-ndjson" }));
    expect(nd.here.counts).toMatchObject({ total: 4, created: 1, failed: 3 });
    expect(nd.thread).toEqual(nd.here);

    const ldif = (t: string) =>
      [`dn: uid=la-${t},ou=people,dc=example,dc=com`, "objectClass: inetOrgPerson", `uid: la-${t}`, "cn: La", "sn: A", `mail: la-${t}@example.com`, ""].join("\n") +
      "\n" +
      [`dn: uid=lb-${t},ou=people,dc=example,dc=com`, "objectClass: inetOrgPerson", `uid: lb-${t}`, "cn: Lb", "sn: B", "mail: not-an-email", ""].join("\n");
    const ld = await onBothThreads((t) => outcome(t, { body: ldif(t), type: "text/ldif" }));
    expect(ld.here.counts).toMatchObject({ total: 2, created: 1, failed: 1 });
    expect(ld.thread).toEqual(ld.here);
  });

  it("cuts a file into the same chunks (BULK_CHUNK_ROWS, and earlier at 1,000 cleartext passwords)", async () => {
    const csv = (t: string) => "username,password\n" + Array.from({ length: 7 }, (_, i) => `k${i}-${t},${bcryptHash}\n`).join("");
    const { here, thread } = await onBothThreads(async (t) => {
      process.env.BULK_CHUNK_ROWS = "3";
      try {
        return await outcome(t, { body: csv(t) });
      } finally {
        delete process.env.BULK_CHUNK_ROWS;
      }
    });
    expect(here.chunks).toEqual([3, 3, 1]);
    expect(thread).toEqual(here);
  });

  it("reads a second large upload on the request's thread while the parser thread is busy, with the same outcome", async () => {
    const t = tag();
    const csv = (p: string) => "username,email\n" + Array.from({ length: 50 }, (_, i) => `${p}${i}-${t},${i % 10 === 9 ? "bad" : `${p}${i}-${t}@example.com`}\n`).join("");
    // Past 100 bytes: what was read before the choice must reach the parser on either thread.
    process.env.BULK_PARSE_THREAD_BYTES = "100";
    try {
      const [a, b] = await Promise.all([upload({ body: csv("pa") }), upload({ body: csv("pb") })]);
      expect([a.status, b.status]).toEqual([202, 202]);
      await drainImportJobs();
      for (const id of [a.body.id, b.body.id]) {
        const job = JSON.parse((await get(`${envPath}/userImportJobs/${id}`)).text);
        expect(job.counts).toMatchObject({ total: 50, created: 45, failed: 5 });
      }
    } finally {
      delete process.env.BULK_PARSE_THREAD_BYTES;
    }
  });

  it("answers a file it cannot take with the same 400 or 413, and keeps no job and no user", async () => {
    const jobs = await jobCount();
    const users = await app.countUsers();
    const refusals = (t: string) => [
      { body: `email\nx-${t}@example.com\n` },
      { body: `username,username\nx-${t},y\n` },
      { body: `[{"username":"x-${t}"},`, type: "application/json" },
      { body: `username\n"x-${t}\n` },
    ];
    const answers = await onBothThreads(async (t) => {
      const out = [];
      for (const u of refusals(t)) {
        const res = await upload(u);
        out.push({ status: res.status, details: JSON.parse(JSON.stringify(res.body.details ?? null).replaceAll(t, "TAG")) as Json });
      }
      process.env.BULK_MAX_ROWS = "3";
      try {
        const res = await upload({ body: `username\na-${t}\nb-${t}\nc-${t}\nd-${t}\n` });
        out.push({ status: res.status, details: res.body.details });
      } finally {
        delete process.env.BULK_MAX_ROWS;
      }
      process.env.BULK_MAX_BYTES = "4096";
      try {
        const res = await upload({ body: "username\n" + Array.from({ length: 400 }, (_, i) => `big${i}-${t}\n`).join("") });
        out.push({ status: res.status, details: res.body.details });
      } finally {
        delete process.env.BULK_MAX_BYTES;
      }
      return out;
    });
    expect(answers.here.map((a) => a.status)).toEqual([400, 400, 400, 400, 400, 413]);
    expect(answers.thread).toEqual(answers.here);
    await drainImportJobs();
    expect(await jobCount()).toBe(jobs);
    expect(await app.countUsers()).toBe(users);
  });
});

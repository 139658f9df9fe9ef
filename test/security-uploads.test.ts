/**
 * Security review 2026-12, findings F8, F14 and F15 (resend), written as the attacks:
 *
 * F8:  a bulk upload past the byte cap (BULK_MAX_BYTES) is refused with 413 while it streams,
 *      and leaves no job, no stored chunk and no user behind, whoever sends it.
 * F14: a truncated multipart upload is a 400, not a 500.
 * F15: verification codes cannot be resent without limit (mail bombing through the outbox).
 */
import { count, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, uniqueName } from "./support/http";

let app: TestApp;
let api: Client;
let popAdmin: Client; // Identity Data Admin over Contractors only: the review's attacker
let refs: DemoRefs;
const D = FIXED.demoEnvId;
const CAP = 200_000;

beforeAll(async () => {
  process.env.BULK_MAX_BYTES = String(CAP);
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
  popAdmin = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]));
});

afterAll(async () => {
  delete process.env.BULK_MAX_BYTES;
  await app?.close();
});

async function storedState() {
  const { getDb } = await import("@/db");
  const schema = await import("@/db/schema");
  const db = await getDb();
  const [jobs] = await db.select({ n: count() }).from(schema.userImportJobs).where(eq(schema.userImportJobs.environmentId, D));
  const [chunks] = await db.select({ n: count() }).from(schema.userImportChunks);
  return { jobs: Number(jobs!.n), chunks: Number(chunks!.n), users: await app.countUsers(D) };
}

/** JSON Lines padded with an unknown field, as the review's 86 MB upload was (here just past the cap). */
function paddedRows(bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size <= bytes; i++) {
    const line = JSON.stringify({ username: `pad-${i}`, population: { id: refs.contractorsPopulationId }, pad: "x".repeat(4000) }) + "\n";
    lines.push(line);
    size += line.length;
  }
  return lines.join("");
}

/** A body that streams (no Content-Length), so that the cap is met while reading, not from a header. */
function streamed(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 16 * 1024));
      offset += 16 * 1024;
    },
  });
}

describe("F8: bulk uploads have a byte cap", () => {
  it("refuses a streamed JSON Lines body past the cap with 413, leaving nothing behind", async () => {
    const before = await storedState();
    const res = await popAdmin.request(`/environments/${D}/userImportJobs?dryRun=true`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: streamed(paddedRows(CAP + 50_000)),
      duplex: "half",
    } as RequestInit);
    const e = expectError(res, 413, "INVALID_REQUEST");
    expect(e.details).toEqual([expect.objectContaining({ code: "SIZE_LIMIT_EXCEEDED", target: "file" })]);
    expect(await storedState()).toEqual(before);
  });

  it("refuses a declared Content-Length past the cap before reading it", async () => {
    const before = await storedState();
    const body = paddedRows(CAP + 100_000);
    const res = await popAdmin.request(`/environments/${D}/userImportJobs`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });
    expectError(res, 413, "INVALID_REQUEST");
    expect(await storedState()).toEqual(before);
  });

  it("refuses a multipart file past the cap the same way", async () => {
    const before = await storedState();
    const form = new FormData();
    form.set("dryRun", "true");
    form.set("file", new Blob([paddedRows(CAP + 10_000)], { type: "application/x-ndjson" }), "big.ndjson");
    const res = await popAdmin.request(`/environments/${D}/userImportJobs`, { method: "POST", body: form });
    expectError(res, 413, "INVALID_REQUEST");
    expect(await storedState()).toEqual(before);
  });

  it("still takes a file under the cap", async () => {
    const res = await popAdmin.request(`/environments/${D}/userImportJobs?dryRun=true`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: paddedRows(CAP / 2),
    });
    expect(res.status, res.text).toBe(202);
  });
});

describe("F14: a truncated multipart upload", () => {
  it("is a 400 with no job left behind, not a 500", async () => {
    const before = await storedState();
    const boundary = "----identity-import-test";
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="users.csv"\r\nContent-Type: text/csv\r\n\r\n` +
      `username,email\r\nann,ann@example.com\r\nbob,bob@example.com\r\n`; // no closing boundary
    const res = await api.request(`/environments/${D}/userImportJobs`, {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expectError(res, 400, "INVALID_REQUEST");
    expect(await storedState()).toEqual(before);
  });
});

describe("F15: resending verification codes is limited", () => {
  it("answers 429 with Retry-After after a few codes to one user, and leaves other users alone", async () => {
    const make = async () => {
      const res = await api.postUser({ username: uniqueName("resend"), email: "victim@example.com", population: { id: refs.defaultPopulationId } });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const victim = await make();
    const other = await make();
    const send = (id: string) =>
      api.request(`/environments/${D}/users/${id}`, { method: "POST", headers: { "content-type": "application/vnd.pingidentity.user.sendVerificationCode+json" } });
    for (let i = 0; i < 5; i++) expect((await send(victim)).status).toBe(204);
    const limited = await send(victim);
    const e = expectError(limited, 429, "REQUEST_LIMITED");
    expect(e.details?.map((d) => d.code)).toEqual(["LIMIT_EXCEEDED"]);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await send(other)).status).toBe(204);
  });
});

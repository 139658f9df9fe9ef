/**
 * Which failures are "the database cannot be reached" (503 with Retry-After) and which stay
 * unexpected (500): the real errors the `postgres` driver and Drizzle throw against a port
 * nobody listens on, plus the SQLSTATE shapes the driver gives a server that is shutting down,
 * crashed or starting up; and the log line of such an error holds no query parameter.
 */
import net from "node:net";
import postgres from "postgres";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { safeError } from "@/lib/log";
import { describe, expect, it } from "vitest";
import { asApiError, isDatabaseUnavailable, isUniqueViolation } from "./errors";

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("isDatabaseUnavailable", () => {
  it("is true for a refused connection, from the driver and through Drizzle's DrizzleQueryError, and answers 503 with Retry-After", async () => {
    const client = postgres(`postgres://postgres@127.0.0.1:${await closedPort()}/postgres`, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      const direct = await thrown(client`select 1`);
      expect((direct as { code?: string }).code).toBe("ECONNREFUSED");
      expect(isDatabaseUnavailable(direct)).toBe(true);
      const viaDrizzle = await thrown(drizzle(client).execute(sql`select 1`));
      expect(viaDrizzle).toBeInstanceOf(DrizzleQueryError);
      expect(isDatabaseUnavailable(viaDrizzle)).toBe(true);
      const answer = asApiError(viaDrizzle);
      expect(answer).toMatchObject({ status: 503, code: "SERVICE_UNAVAILABLE" });
      expect(Number(answer!.headers!["Retry-After"])).toBeGreaterThan(0);
      // Neither the envelope nor the log line says anything of the query or its parameters (hashes, say).
      expect(answer!.message).not.toMatch(/select/i);
      const secret = "$2b$04$notarealhashbutsecret";
      const withParams = await thrown(drizzle(client).execute(sql`select ${secret}::text`));
      expect(JSON.stringify(safeError(withParams))).not.toContain(secret);
      expect(safeError(withParams)).toMatchObject({ error: "DrizzleQueryError", sqlState: "ECONNREFUSED" });
    } finally {
      await client.end({ timeout: 1 });
    }
  });

  it("is true for the SQLSTATEs of a server shutting down, crashed, starting up or full, and class 08", () => {
    for (const code of ["57P01", "57P02", "57P03", "53300", "08006", "08001", "08P01"]) {
      expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code })), code).toBe(true);
      expect(isDatabaseUnavailable(Object.assign(new Error("Failed query"), { cause: Object.assign(new Error("x"), { code }) })), code).toBe(true);
    }
  });

  it("is false for what the query itself got wrong, and for other errors: those stay 500 (or their own answer)", () => {
    const unique = Object.assign(new Error("Failed query"), { cause: Object.assign(new Error("dup"), { code: "23505", constraint_name: "users_username" }) });
    expect(isUniqueViolation(unique)).toBe(true);
    expect(isDatabaseUnavailable(unique)).toBe(false);
    for (const code of ["42P01", "22P02", "40001", "57014"]) expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code })), code).toBe(false);
    expect(isDatabaseUnavailable(new Error("boom"))).toBe(false);
    expect(isDatabaseUnavailable(undefined)).toBe(false);
    expect(asApiError(new Error("boom"))).toBeUndefined();
  });
});

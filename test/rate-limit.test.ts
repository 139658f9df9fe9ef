/**
 * limitSignIn (lib/rate-limit), the limit the console's sign-in calls before checking a password:
 * counted in the shared store (the database here), answered with PingOne's 429.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app";

let app: TestApp;

beforeAll(async () => {
  process.env.RATE_LIMIT_SIGN_IN = "3";
  process.env.RATE_LIMIT_SIGN_IN_WINDOW_SECONDS = "120";
  app = await startTestApp();
});

afterAll(async () => {
  await app?.close();
});

it("allows RATE_LIMIT_SIGN_IN attempts per key in the window, then throws 429 REQUEST_LIMITED with Retry-After", async () => {
  const { limitSignIn } = await import("@/lib/rate-limit");
  const { ApiError } = await import("@/lib/api/errors");
  for (let i = 0; i < 3; i++) await limitSignIn("user:ada");
  const err = await limitSignIn("user:ada").then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  const e = err as InstanceType<typeof ApiError>;
  expect(e.status).toBe(429);
  expect(e.code).toBe("REQUEST_LIMITED");
  expect(e.details?.[0]?.code).toBe("LIMIT_EXCEEDED");
  const retryAfter = Number(e.headers?.["Retry-After"]);
  expect(retryAfter >= 1 && retryAfter <= 120).toBe(true);
  // Another key is counted apart.
  await expect(limitSignIn("user:bob")).resolves.toBeUndefined();

  // The count is in the shared store, where every instance sees it.
  const { getDb } = await import("@/db");
  const { sql } = await import("drizzle-orm");
  const result = (await (await getDb()).execute(sql`select points from rate_limits where key = 'rl:signIn:user:ada'`)) as unknown;
  const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as { points: number }[];
  expect(rows[0]?.points).toBe(4);
});

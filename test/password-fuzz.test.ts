/**
 * Property (issue 11): thousands of random and mutated password values of every accepted prefix,
 * imported through POST /environments/{envID}/users, are answered 201 or 400 on password.value,
 * never a 5xx; what is accepted is stored as given and within the cost limits (or, cleartext,
 * as argon2id), what is refused writes nothing.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { DEFAULT_COST_LIMITS, parsePasswordValue } from "@/lib/passwords";
import { passwordValue, withinLimits } from "@/lib/passwords/testdata/arbitraries";

import { startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectInvalidData } from "./support/http";

let app: TestApp;
let api: Client;
let refs: DemoRefs;

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
});
afterAll(async () => app?.close());

let n = 0;

describe("import of random and mutated password values", () => {
  it("answers 201 or 400, never a 5xx, and accepts nothing beyond the cost limits", async () => {
    const seen = { accepted: 0, refused: 0, cleartext: 0 };
    await fc.assert(
      fc.asyncProperty(passwordValue, async (value) => {
        const before = await app.countUsers();
        const res = await api.postUser({ username: `fuzz-pw-${++n}`, population: { id: refs.defaultPopulationId }, password: { value } });
        expect([201, 400], `${res.status} ${res.text}`).toContain(res.status);
        if (res.status === 400) {
          const e = expectInvalidData(res, [[value === "" ? "EMPTY_VALUE" : "INVALID_VALUE", "password.value"]]);
          if (value.length >= 24) expect(JSON.stringify(e)).not.toContain(JSON.stringify(value).slice(1, -1));
          expect(await app.countUsers()).toBe(before);
          seen.refused++;
          return;
        }
        const stored = (await app.passwordRow(res.body.id))!.passwordHash!;
        const parsed = parsePasswordValue(value);
        if (parsed.kind === "encoded") {
          expect(stored).toBe(value);
          expect(withinLimits(parsed.hash, DEFAULT_COST_LIMITS), value).toBe(true);
          seen.accepted++;
        } else {
          expect(parsed.kind).toBe("cleartext");
          expect(stored.startsWith("$argon2id$")).toBe(true);
          seen.cleartext++;
        }
      }),
      { numRuns: 1500 },
    );
    // The generator reaches every outcome, so the property is not vacuous.
    expect(seen.accepted).toBeGreaterThan(20);
    expect(seen.refused).toBeGreaterThan(1000);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { userCreateSchema, userCreateSchemaFor, userImportSchema, userImportSchemaFor } from "./schema";

/**
 * The schema of one body (userImportSchemaFor, userCreateSchemaFor: the attributes it holds and
 * the required ones) answers every body exactly as the whole schema does: the same output, or
 * the same issues in the same order, with and without the input reported (the API's second
 * parse of a failed body). Bodies: any subset of the schema's attributes, each with a valid
 * value, null, undefined, or a value of the wrong type, plus attributes the schema does not know.
 */
const POPULATION = "0d000000-0000-4000-8000-0000000000aa";
const SSHA = "{SSHA}" + Buffer.concat([Buffer.alloc(20, 7), Buffer.from("salt")]).toString("base64");

const values: Record<string, unknown[]> = {
  username: ["ada", "", "  ", "x".repeat(129), "bad\u0000name", 7],
  email: ["ada@example.com", "not-an-email", null],
  population: [{ id: POPULATION }, { id: "nope" }, {}, null, "x"],
  emailVerified: [true, false, "yes", null],
  mfaEnabled: [true, 1],
  enabled: [false, null],
  identityProvider: [{ id: null }, { id: POPULATION }, { id: 3 }, null],
  name: [{ given: "Ada", family: "Lovelace" }, { given: 1 }, { given: "x".repeat(300) }, {}, null, "Ada"],
  nickname: ["A", 5, null],
  title: ["Dr"],
  locale: ["en-GB"],
  preferredLanguage: ["en"],
  timezone: ["Europe/London", "bad\u0000"],
  externalId: ["e-1", "x".repeat(1025)],
  primaryPhone: ["+44", "x".repeat(33)],
  mobilePhone: ["+44"],
  address: [{ countryCode: "GB", locality: "London" }, { countryCode: "gb" }, null],
  photo: [{ href: "https://example.com/a.png" }, { href: 1 }],
  password: [{ value: "Secret-pass-1" }, { value: SSHA }, { value: "" }, { value: "{SSHA}!!" }, { forceChange: true }, { value: "x", external: { gateway: { id: POPULATION, userType: { id: POPULATION } } } }, null],
  lifecycle: [{ status: "VERIFICATION_REQUIRED" }, { status: "ACCOUNT_OK" }, { status: "NOPE" }, { suppressVerificationCode: true }, null],
  unknownAttribute: ["ignored", { deep: 1 }],
  constructor: ["not a prototype"],
};

const body = fc
  .subarray(Object.keys(values))
  .chain((keys) => fc.tuple(...keys.map((k) => fc.constantFrom(...values[k]!, undefined).map((v) => [k, v] as const))))
  .map((entries) => Object.fromEntries(entries));

function sameAnswer(whole: z.ZodType, forBody: (b: object) => z.ZodType, b: object) {
  const one = forBody(b);
  for (const opts of [undefined, { reportInput: true }] as const) {
    const expected = whole.safeParse(b, opts);
    const actual = one.safeParse(b, opts);
    expect(actual.success).toBe(expected.success);
    if (expected.success) expect(actual.data).toStrictEqual(expected.data);
    else expect(actual.error!.issues).toStrictEqual(expected.error!.issues);
  }
}

describe("the schema of one body", () => {
  it("is made once per set of attributes held, and holds fewer attributes than the whole schema", () => {
    const a = userImportSchemaFor({ username: "a", population: { id: POPULATION }, email: "a@example.com" });
    const b = userImportSchemaFor({ username: "b", population: { id: POPULATION }, email: null, ignored: 1 });
    expect(b).toBe(a);
    expect(Object.keys((a as unknown as z.ZodObject).shape).sort()).toEqual(["email", "population", "username"]);
    expect(userImportSchemaFor({ username: "c" })).not.toBe(a);
  });

  it("answers an import body exactly as the whole import schema", () => {
    fc.assert(fc.property(body, (b) => sameAnswer(userImportSchema, userImportSchemaFor, b)), { numRuns: 3000 });
  });

  it("answers a plain create body exactly as the whole create schema", () => {
    fc.assert(fc.property(body, (b) => sameAnswer(userCreateSchema, userCreateSchemaFor, b)), { numRuns: 3000 });
  });

  it("keeps the 64 sets used last: a set in use stays, whatever else comes", () => {
    const inUse = { username: "x", population: { id: POPULATION }, email: "x@example.com", name: { given: "X" }, password: { value: SSHA } };
    const kept = userImportSchemaFor(inUse);
    const optional = ["nickname", "title", "locale", "preferredLanguage", "timezone", "externalId", "primaryPhone", "mobilePhone"];
    for (let mask = 0; mask < 256; mask++) {
      const b: Record<string, unknown> = { username: "x", mfaEnabled: true };
      optional.forEach((k, i) => {
        if (mask & (1 << i)) b[k] = "v";
      });
      expect(userImportSchemaFor(b)).not.toBe(userImportSchema);
      expect(userImportSchemaFor(inUse)).toBe(kept);
    }
  });
});

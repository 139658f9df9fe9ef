// The checks every family's vectors go through, written once: classified as their scheme,
// verified with their password through the public verifyPassword (the real check pool for the
// slow families), refused for near misses, marked for an upgrade, and accepted inside {CRYPT}
// where OpenLDAP would export them so.
import { describe, expect, it } from "vitest";

import { classifyPassword, isPreEncoded, needsRehash, verifyPassword, type PasswordScheme } from "../index";
import { label, nearMisses, type Vector } from "./vectors";

export function describeVectors(vectors: readonly Vector[], schemeOf: (v: Vector) => PasswordScheme, opts: { cryptWrapped?: boolean } = {}): void {
  describe.each(vectors.map((v) => [label(v), v] as const))("%s", (_, v) => {
    it("classifies as its scheme and is pre-encoded", () => {
      expect(classifyPassword(v.encoded)).toEqual({ kind: "encoded", scheme: schemeOf(v) });
      expect(isPreEncoded(v.encoded)).toBe(true);
    });

    it("verifies its password and no near miss", async () => {
      expect(await verifyPassword(v.encoded, v.password)).toBe(true);
      for (const miss of nearMisses(v.password)) expect(await verifyPassword(v.encoded, miss), JSON.stringify(miss)).toBe(false);
    });

    it("asks for an upgrade to argon2id", () => {
      expect(needsRehash(v.encoded)).toBe(true);
    });

    if (opts.cryptWrapped) {
      it("is accepted inside {CRYPT}, as OpenLDAP exports it", async () => {
        const wrapped = `{CRYPT}${v.encoded}`;
        expect(classifyPassword(wrapped)).toEqual({ kind: "encoded", scheme: schemeOf(v) });
        expect(await verifyPassword(wrapped, v.password)).toBe(true);
        expect(await verifyPassword(wrapped, v.password + "x")).toBe(false);
        expect(needsRehash(wrapped)).toBe(true);
      });
    }
  });
}

/** The message of a refused value; fails when the value is not refused. */
export function refusal(value: string): string {
  const result = classifyPassword(value);
  if (result.kind !== "invalid") throw new Error(`expected a refusal, got ${JSON.stringify(result)}`);
  return result.message;
}

/** A refused value never matches, whatever is tried against it, and its message does not echo it. */
export async function expectRefused(value: string, fragment: string | RegExp): Promise<void> {
  const message = refusal(value);
  if (typeof fragment === "string") expect(message).toContain(fragment);
  else expect(message).toMatch(fragment);
  // A bare prefix ("{PKCS5S2}") is the form's name, not a secret.
  if (value.length >= 16) expect(message).not.toContain(value);
  expect(message).toMatch(/\.$/);
  expect(await verifyPassword(value, "anything")).toBe(false);
}

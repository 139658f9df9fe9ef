// Property: whatever string reaches the classifier (random text behind every accepted prefix,
// real vectors mutated), it answers cleartext, a refusal with a sentence, or an accepted hash
// whose parameters are within the cost limits, at once and without throwing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { classifyPassword, isCleartextForm, parsePasswordValue } from "./classify";
import { DEFAULT_COST_LIMITS, readCostLimits } from "./limits";
import { passwordValue, withinLimits } from "./testdata/arbitraries";

describe("the classifier, on thousands of random and mutated values", () => {
  it("never throws, and accepts nothing beyond the limits", () => {
    fc.assert(
      fc.property(passwordValue, (value) => {
        const parsed = parsePasswordValue(value);
        // The upload's cheap test and the classifier (asked twice: the second answer is remembered) agree.
        expect(isCleartextForm(value), value).toBe(parsed.kind === "cleartext");
        const fresh = parsed.kind === "encoded" ? { kind: "encoded", scheme: parsed.hash.scheme } : parsed;
        expect(classifyPassword(value)).toEqual(fresh);
        expect(classifyPassword(value)).toEqual(fresh);
        if (parsed.kind === "invalid") {
          expect(parsed.message).toMatch(/^\S.*[.]$/s);
          if (value.length >= 24) expect(parsed.message).not.toContain(value);
        } else if (parsed.kind === "encoded") {
          expect(withinLimits(parsed.hash, DEFAULT_COST_LIMITS), value).toBe(true);
          expect(classifyPassword(value)).toEqual({ kind: "encoded", scheme: parsed.hash.scheme });
        } else {
          expect(value.startsWith("{") || value.startsWith("$")).toBe(false);
        }
      }),
      { numRuns: 20_000 },
    );
  });

  it("honours lower configured limits just as strictly", () => {
    const low = readCostLimits({
      PASSWORD_MAX_BCRYPT_COST: "8",
      PASSWORD_MAX_PBKDF2_ITERATIONS: "1000",
      PASSWORD_MAX_SHA_CRYPT_ROUNDS: "5000",
      PASSWORD_MAX_SHA1_CRYPT_ROUNDS: "5000",
      PASSWORD_MAX_ARGON2_MEMORY_MIB: "4",
      PASSWORD_MAX_ARGON2_PASSES: "2",
      PASSWORD_MAX_SCRYPT_MEMORY_MIB: "2",
      PASSWORD_MAX_SCRYPT_PARALLELISM: "1",
      PASSWORD_MAX_YESCRYPT_TIME: "0",
      PASSWORD_MAX_PHPASS_ROUNDS: "2048",
    });
    fc.assert(
      fc.property(passwordValue, (value) => {
        const parsed = parsePasswordValue(value, { limits: low, yescrypt: true });
        if (parsed.kind === "encoded") expect(withinLimits(parsed.hash, low), value).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });
});

import { describe, expect, it } from "vitest";
import { CODE_ALPHABET, generateCode, normaliseCode } from "./codes";
import { verificationEmail } from "./email";
import { retryDelay } from "./sender";

describe("verification codes", () => {
  it("are 8 characters of A-Z and 0-9, using the whole alphabet", () => {
    const seen = new Set<string>();
    const codes = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const c = generateCode();
      expect(c).toMatch(/^[A-Z0-9]{8}$/);
      codes.add(c);
      for (const ch of c) seen.add(ch);
    }
    expect(seen.size).toBe(CODE_ALPHABET.length);
    expect(codes.size).toBe(2000);
  });

  it("are compared without case and surrounding spaces", () => {
    expect(normaliseCode("  ab12cd34 ")).toBe("AB12CD34");
  });
});

describe("the verification email", () => {
  it("has the code in text and HTML, and escapes the username in HTML", () => {
    const m = verificationEmail("a@example.com", `<img src=x onerror="alert(1)">`, "AB12CD34");
    expect(m.text).toMatch(/^ {4}AB12CD34$/m);
    expect(m.html).toContain(">AB12CD34<");
    expect(m.html).not.toContain("<img");
    expect(m.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  });
});

describe("retry backoff", () => {
  it("grows exponentially from the base, with jitter, up to the cap", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(60_000, 1000 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const d = retryDelay(attempt, 1000, 60_000);
        expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});

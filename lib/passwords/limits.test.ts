import { readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { classifyPassword } from "./classify";
import { COST_LIMIT_SETTINGS, DEFAULT_COST_LIMITS, readCostLimits } from "./limits";
import { PASSWORD_CHECK_SETTINGS, readPasswordSettings } from "./settings";
import { EXTRA, FIRST_WAVE, SECOND_WAVE } from "./testdata/vectors";

describe("cost limits", () => {
  it("default to the contract's values", () => {
    expect(DEFAULT_COST_LIMITS).toEqual({
      bcryptCost: 16,
      shaCryptRounds: 10_000_000,
      sha1CryptRounds: 10_000_000,
      pbkdf2Iterations: 10_000_000,
      argon2MemoryMiB: 1024,
      argon2Passes: 64,
      argon2Lanes: 64,
      scryptMemoryMiB: 1024,
      scryptParallelism: 16,
      yescryptTime: 8,
      phpassRounds: 2 ** 24,
    });
  });

  it("admit every vector of both shared files and the extra ones", () => {
    for (const v of [...FIRST_WAVE, ...SECOND_WAVE, ...EXTRA]) {
      expect(classifyPassword(v.encoded, { limits: DEFAULT_COST_LIMITS, yescrypt: true }).kind, v.encoded).toBe("encoded");
    }
  });

  it("are read from the environment, one variable each, unset or empty meaning the default", () => {
    expect(readCostLimits({})).toEqual(DEFAULT_COST_LIMITS);
    expect(readCostLimits({ PASSWORD_MAX_BCRYPT_COST: "", PASSWORD_MAX_PBKDF2_ITERATIONS: " 600000 " })).toEqual({ ...DEFAULT_COST_LIMITS, pbkdf2Iterations: 600_000 });
    const all = Object.fromEntries(COST_LIMIT_SETTINGS.map((s) => [s.env, String(s.min)]));
    expect(readCostLimits(all)).toEqual(Object.fromEntries(COST_LIMIT_SETTINGS.map((s) => [s.key, s.min])));
  });

  it.each(["abc", "-1", "1e3", "3", "32", "12.5", "0x10"])("refuse PASSWORD_MAX_BCRYPT_COST=%j at start, naming the variable", (raw) => {
    expect(() => readCostLimits({ PASSWORD_MAX_BCRYPT_COST: raw })).toThrow(/^PASSWORD_MAX_BCRYPT_COST must be a whole number from 4 to 31/);
  });

  it("apply as configured: a lower limit refuses what the default admits, naming the setting and its value", () => {
    const limits = readCostLimits({ PASSWORD_MAX_BCRYPT_COST: "10", PASSWORD_MAX_SCRYPT_MEMORY_MIB: "8" });
    const bcrypt12 = SECOND_WAVE.find((v) => v.form === "bcrypt$")!.encoded;
    const yescrypt16MiB = SECOND_WAVE.find((v) => v.form === "$y$")!.encoded;
    expect(classifyPassword(bcrypt12, { limits, yescrypt: true })).toEqual({
      kind: "invalid",
      message: "The bcrypt cost 12 is above this server's limit of 10 (PASSWORD_MAX_BCRYPT_COST): checking it would tie up the server. Re-hash with a lower cost, or raise the limit.",
    });
    expect(classifyPassword(yescrypt16MiB, { limits, yescrypt: true })).toMatchObject({ kind: "invalid", message: expect.stringContaining("16 MiB is above this server's limit of 8 MiB (PASSWORD_MAX_SCRYPT_MEMORY_MIB)") });
  });

  it("are refused without computing anything: ten thousand over-limit values classify in seconds at most", () => {
    // Each of these would take minutes to hours to check (security review F4), so any bound far
    // below that proves nothing was computed; this one is loose enough for a busy machine.
    const hostile = [
      "$2b$31$.s7UxXsgndFOBS9LO21b8eP6OPPQIMzLEL3zERpZzCGetCnG.Tybm",
      "$argon2id$v=19$m=19456,t=4294967295,p=1$c2FsdHNhbHRzYWx0c2FsdA$7DC2GwvRtDelR5UiPehnfhTftZzE17yEnUWO5z+NzdQ",
      `{PBKDF2-SHA512}2147483647$${"A".repeat(22)}$${"A".repeat(86)}`,
      `$6$rounds=999999999$salt$${"a".repeat(86)}`,
      `$y$jKT$/2Ro/p6ok5lGfuBWUs3NT.$sUcmzE0Idfwy8CC5i0xQ4DhvBpFQP3SOEvblTqU9Xc7`,
    ];
    const start = performance.now();
    for (let i = 0; i < 2000; i++) for (const value of hostile) expect(classifyPassword(value).kind).toBe("invalid");
    expect(performance.now() - start).toBeLessThan(10_000);
  });

  it("are documented in the README, every setting with its default", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
    for (const s of COST_LIMIT_SETTINGS) expect(readme, s.env).toMatch(new RegExp(`\`${s.env}\`\\s*\\|\\s*${s.default.toLocaleString("en-US").replace(/,/g, ",?")}\\b`));
    for (const s of PASSWORD_CHECK_SETTINGS) expect(readme, s.env).toContain(`\`${s.env}\``);
  });
});

describe("check pool settings", () => {
  it("default to a bounded pool that leaves the event loop a core", () => {
    const s = readPasswordSettings({});
    expect(s.checkConcurrency).toBe(1);
    expect(s.checkQueue).toBe(100);
    expect(s.checkWaitMs).toBe(10_000);
  });

  it("are read from the environment and refused when malformed", () => {
    expect(readPasswordSettings({ PASSWORD_CHECK_CONCURRENCY: "3", PASSWORD_CHECK_QUEUE: "0", PASSWORD_CHECK_WAIT_MS: "250" })).toMatchObject({
      checkConcurrency: 3,
      checkQueue: 0,
      checkWaitMs: 250,
    });
    expect(() => readPasswordSettings({ PASSWORD_CHECK_CONCURRENCY: "0" })).toThrow(/^PASSWORD_CHECK_CONCURRENCY must be a whole number from 1/);
    expect(() => readPasswordSettings({ PASSWORD_CHECK_WAIT_MS: "soon" })).toThrow(/PASSWORD_CHECK_WAIT_MS/);
  });
});

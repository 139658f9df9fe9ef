import { describe, expect, it } from "vitest";
import { hash, argon2id } from "argon2";
import bcrypt from "bcryptjs";
import { ssha } from "@/test/support/ssha";
import { hashPassword } from "@/lib/passwords";
import { CURRENT_PASSWORD_SCHEME, passwordScheme, storedPasswordColumns, WEAKER_ARGON2ID_SCHEME } from "./stored-password";

// The password_scheme column the migration cockpit counts: one label per stored value.
describe("passwordScheme", () => {
  it("labels what hashPassword writes today as current, and nothing as null", async () => {
    expect(passwordScheme(await hashPassword("Current-pass-1"))).toBe(CURRENT_PASSWORD_SCHEME);
    expect(passwordScheme(null)).toBeNull();
    expect(storedPasswordColumns(null)).toEqual({ passwordHash: null, passwordScheme: null });
  });

  it("labels an imported argon2id weaker than today's parameters apart from the current one: it is upgraded at its first check", async () => {
    const weak = await hash("Weak-pass-1", { type: argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 });
    expect(passwordScheme(weak)).toBe(WEAKER_ARGON2ID_SCHEME);
  });

  it("labels legacy values by their scheme, as the registry names it, braces case-insensitive and {CRYPT} unwrapped", () => {
    const salted = ssha("Legacy-pass-1");
    expect(passwordScheme(salted)).toBe("SSHA");
    expect(passwordScheme(salted.replace("{SSHA}", "{ssha}"))).toBe("SSHA");
    expect(passwordScheme("$P$6/eDJ5GDjUhN7IPhYQQB.3VHrAqoTy1")).toBe("PHPASS");
    const b = bcrypt.hashSync("Legacy-pass-1", 4);
    expect(passwordScheme(b)).toBe("BCRYPT");
    expect(passwordScheme(`{CRYPT}${b}`)).toBe("BCRYPT");
  });

  it("never labels a value the server would not verify as current", () => {
    expect(passwordScheme("plain text that was never stored")).toBe("UNVERIFIABLE");
  });
});

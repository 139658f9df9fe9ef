// Django's other hashers (the PBKDF2 ones are in passwords.test.ts with the first wave).
import { describe, expect, it } from "vitest";

import { classifyPassword, verifyPassword } from "../index";
import { describeVectors, expectRefused } from "../testdata/family-tests";
import { vectorsOf } from "../testdata/vectors";

describeVectors(vectorsOf("argon2$"), () => "DJANGO-ARGON2");
describeVectors(vectorsOf("bcrypt_sha256$"), () => "DJANGO-BCRYPT-SHA256");
describeVectors(vectorsOf("sha1$"), () => "DJANGO-SHA1");
describeVectors(vectorsOf("md5$"), () => "DJANGO-MD5");
// Plain bcrypt reads only the first 72 bytes of a password: longer ones are checked apart below.
const bcryptVectors = vectorsOf("bcrypt$");
describeVectors(bcryptVectors.filter((v) => Buffer.byteLength(v.password) <= 72), () => "DJANGO-BCRYPT");

describe("Django bcrypt and long passwords", () => {
  it("truncates at 72 bytes in bcrypt$, exactly as Django (and every bcrypt) does", async () => {
    const long = bcryptVectors.find((v) => Buffer.byteLength(v.password) > 72)!;
    expect(await verifyPassword(long.encoded, long.password)).toBe(true);
    const cut = Buffer.from(long.password).subarray(0, 72).toString("latin1");
    expect(await verifyPassword(long.encoded, long.password + "x")).toBe(true);
    expect(cut.length).toBe(72);
  });

  it("does not truncate in bcrypt_sha256$, which pre-hashes the password", async () => {
    const long = vectorsOf("bcrypt_sha256$").find((v) => Buffer.byteLength(v.password) > 72)!;
    expect(await verifyPassword(long.encoded, long.password)).toBe(true);
    expect(await verifyPassword(long.encoded, long.password + "x")).toBe(false);
  });

  it("keeps bcrypt$ and bcrypt_sha256$ apart: the same bcrypt string means another password in each", async () => {
    const v = vectorsOf("bcrypt$")[0]!;
    expect(await verifyPassword(v.encoded.replace("bcrypt$", "bcrypt_sha256$"), v.password)).toBe(false);
  });
});

describe("Django formats refused", () => {
  it.each([
    ["argon2$argon2id$v=19$m=102400", "PHC"],
    ["argon2$argon2id$v=19$m=2097152,t=2,p=8$R3BMelVqUGx1RUlIRWpadm9LRnZLbg$1To+YqSCASBzkTUdhhrKzQ", "PASSWORD_MAX_ARGON2_MEMORY_MIB"],
    ["bcrypt$", "bcrypt value is malformed"],
    ["bcrypt_sha256$$2b$17$RyDWoIeEqtNNkvhIoHbO/eiz5xMO//6RNMtDFCXGsC05rw3XyeHri", "PASSWORD_MAX_BCRYPT_COST"],
    ["sha1$salt", "must have the form"],
    ["sha1$salt$" + "a".repeat(39), "40 hex digits"],
    ["md5$salt$" + "a".repeat(40), "32 hex digits"],
    ["md5$sa$lt$" + "a".repeat(32), "must have the form"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });

  it("treats other Django-looking text as cleartext: only the listed prefixes are pre-encoded", () => {
    for (const value of ["sha1", "md5 is old", "argon2 rocks", "bcrypt-me", "pbkdf2_sha512$1000$salt$key", "sha256$salt$abc"]) {
      expect(classifyPassword(value), value).toEqual({ kind: "cleartext" });
    }
  });
});

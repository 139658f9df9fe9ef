import bcryptjs from "bcryptjs";
import { describe, expect, it } from "vitest";

import { classifyPassword, verifyPassword } from "../index";
import { expectRefused } from "../testdata/family-tests";

describe("bcrypt cost limit", () => {
  const body = "fN3yVklgLQMmTssVkpg3V.Gfo9jwfOsWg8/STcbvVjM9GBL.biIxa";

  it("admits cost 16 and refuses 17 and the review's 31, in every spelling, naming the limit", async () => {
    for (const prefix of ["", "{BCRYPT}", "bcrypt$", "bcrypt_sha256$", "{CRYPT}"]) {
      expect(classifyPassword(`${prefix}$2b$16$${body}`).kind, prefix).toBe("encoded");
      await expectRefused(`${prefix}$2b$17$${body}`, "PASSWORD_MAX_BCRYPT_COST");
      await expectRefused(`${prefix}$2y$31$${body}`, "limit of 16");
    }
  });

  it("checks a hash made here at a non-default cost with a 72-byte password", async () => {
    const password = "p".repeat(72);
    const made = bcryptjs.hashSync(password, 5);
    expect(await verifyPassword(made, password)).toBe(true);
    expect(await verifyPassword(made, "p".repeat(71))).toBe(false);
  });
});

import { argon2d, argon2i, argon2id, hash } from "argon2";
import { describe, expect, it } from "vitest";

import { classifyPassword, verifyPassword } from "../index";
import { describeVectors, expectRefused } from "../testdata/family-tests";
import { vectorsOf } from "../testdata/vectors";

describeVectors(vectorsOf("$argon2d$"), () => "ARGON2D");

const SALT = "c2FsdHNhbHRzYWx0c2FsdA";
const HASH = "7DC2GwvRtDelR5UiPehnfhTftZzE17yEnUWO5z+NzdQ";
const phc = (params: string, type = "argon2id") => `$${type}$v=19$${params}$${SALT}$${HASH}`;

describe("Argon2 limits", () => {
  it("admits 1 GiB, 64 passes and 64 lanes, and refuses one step more of each, naming the limit", async () => {
    expect(classifyPassword(phc("m=1048576,t=64,p=64")).kind).toBe("encoded");
    await expectRefused(phc("m=1048577,t=2,p=1"), "PASSWORD_MAX_ARGON2_MEMORY_MIB");
    await expectRefused(phc("m=65536,t=65,p=1"), "PASSWORD_MAX_ARGON2_PASSES");
    await expectRefused(phc("m=65536,t=2,p=65"), "PASSWORD_MAX_ARGON2_LANES");
    // The review's reproduction of F4.
    await expectRefused(phc("m=19456,t=4294967295,p=1"), "PASSWORD_MAX_ARGON2_PASSES");
    await expectRefused(`{ARGON2}${phc("m=4194304,t=3,p=1", "argon2d")}`, "4096 MiB");
  });

  it("checks argon2i and argon2d made here at non-default parameters, with the {ARGON2} prefix too", async () => {
    const password = "Zwölf Boxkämpfer 🥊";
    for (const type of [argon2d, argon2i, argon2id] as const) {
      const made = await hash(password, { type, memoryCost: 2048, timeCost: 3, parallelism: 3 });
      for (const stored of [made, `{ARGON2}${made}`, `argon2${made}`]) {
        expect(await verifyPassword(stored, password), stored).toBe(true);
        expect(await verifyPassword(stored, password.normalize("NFD"))).toBe(false);
      }
    }
  });
});

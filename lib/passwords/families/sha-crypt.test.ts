import { describe, expect, it } from "vitest";

import { classifyPassword } from "../index";
import { expectRefused } from "../testdata/family-tests";

describe("SHA-crypt rounds limit", () => {
  const hash512 = "a".repeat(86);
  it("admits 10,000,000 rounds and refuses more, up to the review's 999,999,999", async () => {
    expect(classifyPassword(`$6$rounds=10000000$salt$${hash512}`).kind).toBe("encoded");
    await expectRefused(`$6$rounds=10000001$salt$${hash512}`, "PASSWORD_MAX_SHA_CRYPT_ROUNDS");
    await expectRefused(`$5$rounds=999999999$salt$${"a".repeat(43)}`, "limit of 10000000");
    await expectRefused(`{CRYPT}$6$rounds=999999999$salt$${hash512}`, "PASSWORD_MAX_SHA_CRYPT_ROUNDS");
  });
});

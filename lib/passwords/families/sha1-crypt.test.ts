import { describe, expect, it } from "vitest";

import { classifyPassword } from "../classify";
import { describeVectors, expectRefused } from "../testdata/family-tests";
import { vectorsOf } from "../testdata/vectors";

describeVectors(vectorsOf("$sha1$"), () => "SHA1-CRYPT", { cryptWrapped: true });

describe("$sha1$", () => {
  const netbsd = vectorsOf("$sha1$")[0]!.encoded;
  const withRounds = (rounds: string) => netbsd.replace("$sha1$20000$", `$sha1$${rounds}$`);

  it("admits 10,000,000 rounds and refuses one more, naming the limit", async () => {
    expect(classifyPassword(withRounds("10000000")).kind).toBe("encoded");
    await expectRefused(withRounds("10000001"), "PASSWORD_MAX_SHA1_CRYPT_ROUNDS");
  });

  it.each([
    [withRounds("0"), "from 1 to 4294967295"],
    [withRounds("020000"), "without leading zeros"],
    [withRounds("4294967296"), "from 1 to 4294967295"],
    ["$sha1$20000$c61DqS.u", "must have the form"],
    [netbsd.replace("$c61DqS.u$", () => "$$"), "1 to 64 characters"],
    [netbsd.slice(0, -1), "exactly 28 characters"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });
});

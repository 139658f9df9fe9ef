import { describe, expect, it } from "vitest";

import { describeVectors, expectRefused } from "../testdata/family-tests";
import { FIRST_WAVE, vectorsOf } from "../testdata/vectors";

describeVectors(vectorsOf("$apr1$"), () => "APR1-MD5", { cryptWrapped: true });
describeVectors(FIRST_WAVE.filter((v) => v.form === "$1$"), () => "MD5-CRYPT", { cryptWrapped: true });

describe("$apr1$", () => {
  const apr1 = vectorsOf("$apr1$")[0]!;

  it("is not $1$: the magic string is part of the hash", async () => {
    const { verifyPassword } = await import("../index");
    expect(await verifyPassword(apr1.encoded.replace("$apr1$", "$1$"), apr1.password)).toBe(false);
  });

  it.each([
    ["$apr1$hsxd2QsV", "must have the form"],
    ["$apr1$hsxd2QsVx$hVIlYswRdQEXAHRNfq8Lr1", "at most 8 characters"],
    ["$apr1$hsxd2QsV$hVIlYswRdQEXAHRNfq8Lr", "exactly 22 characters"],
    ["$apr1$hsx!2QsV$hVIlYswRdQEXAHRNfq8Lr1", "at most 8 characters"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });
});

import { describe, it } from "vitest";

import { describeVectors, expectRefused } from "../testdata/family-tests";
import { vectorsOf } from "../testdata/vectors";

describeVectors(vectorsOf("$P$", "$H$"), () => "PHPASS");

describe("phpass rounds", () => {
  const wordpress = vectorsOf("$P$")[0]!.encoded;
  const withDigit = (digit: string) => wordpress.slice(0, 3) + digit + wordpress.slice(4);

  it("admits up to 2^24 rounds and refuses 2^25, naming the limit", async () => {
    // "M" is 24 in crypt64, "N" 25.
    const { classifyPassword } = await import("../classify");
    if (classifyPassword(withDigit("M")).kind !== "encoded") throw new Error("2^24 rounds should be admitted");
    await expectRefused(withDigit("N"), "PASSWORD_MAX_PHPASS_ROUNDS");
  });

  it.each([
    [withDigit("4"), "2^7 to 2^30"],
    [withDigit("T"), "2^7 to 2^30"],
    ["$P$Bshort", "34 characters"],
    [wordpress + "x", "34 characters"],
    [wordpress.slice(0, -1) + "z", "not valid crypt64"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });
});

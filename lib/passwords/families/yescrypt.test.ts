import { describe, expect, it } from "vitest";

import { DEFAULT_COST_LIMITS } from "../limits";
import { describeVectors, expectRefused, refusal } from "../testdata/family-tests";
import { vectorsOf } from "../testdata/vectors";
import { yescrypt } from "./yescrypt";

const plain = vectorsOf("$y$", "$gy$");
describeVectors(plain, (v) => (v.form === "$gy$" ? "GOST-YESCRYPT" : "YESCRYPT"), { cryptWrapped: true });
describeVectors(vectorsOf("{CRYPT}$y$"), () => "YESCRYPT");

const SALT = "/2Ro/p6ok5lGfuBWUs3NT.";
const HASH = "sUcmzE0Idfwy8CC5i0xQ4DhvBpFQP3SOEvblTqU9Xc7";
const withParams = (params: string, id = "y") => `$${id}$${params}$${SALT}$${HASH}`;

describe("yescrypt parameters", () => {
  it("reads N, r, p and t as libxcrypt encodes them", () => {
    const parse = (params: string) => yescrypt.parse(withParams(params), { limits: DEFAULT_COST_LIMITS, yescrypt: true });
    // mkpasswd -R 5 (the default), -R 1 and -R 11: N = 2^12, 2^10, 2^18.
    expect(parse("j9T")).toMatchObject({ log2N: 12, r: 32, p: 1, t: 0 });
    expect(parse("j75")).toMatchObject({ log2N: 10, r: 8, p: 1, t: 0 });
    expect(parse("jFT")).toMatchObject({ log2N: 18, r: 32 });
    // A "have" digit announces p (bit 1, from 2) and t (bit 2, from 1); two-digit numbers start at "k".
    expect(parse("j75/.")).toMatchObject({ p: 1, t: 1 });
    expect(parse("j75..")).toMatchObject({ p: 2, t: 0 });
    expect(parse("j750.5")).toMatchObject({ p: 2, t: 8 });
    expect(parse("j7k.")).toMatchObject({ r: 49 });
    expect(parse("j7l/")).toMatchObject({ r: 1 + 48 + 64 + 1 });
  });

  it("admits 1 GiB (mkpasswd -R 11) and refuses more, naming the limit", async () => {
    expect(yescrypt.parse(withParams("jFT"), { limits: DEFAULT_COST_LIMITS, yescrypt: true })).toMatchObject({ family: "yescrypt" });
    await expectRefused(withParams("jGT"), "PASSWORD_MAX_SCRYPT_MEMORY_MIB");
    await expectRefused(withParams("jGT", "gy"), "2048 MiB");
  });

  it("refuses parallelism over 16 and a time factor over 8", async () => {
    await expectRefused(withParams("j75.F"), "PASSWORD_MAX_SCRYPT_PARALLELISM");
    await expectRefused(withParams("j750.6"), "PASSWORD_MAX_YESCRYPT_TIME");
  });

  it.each([
    ["$y$j9T$notvalid", "must have the form"],
    [`$y$$${SALT}$${HASH}`, "must have the form"],
    [withParams("i9T"), "malformed"],
    [withParams("j9"), "malformed"],
    [withParams("j9T5"), "malformed"],
    [withParams("j75."), "malformed"],
    [withParams("j751"), "malformed"],
    [`$y$j9T$${SALT}$${HASH.slice(1)}`, "43-character hash"],
    [`$y$j9T$${SALT}$${HASH.slice(0, -1)}z`, "not valid crypt64"],
    [`$y$j9T$${"a".repeat(22)}$${HASH}`, "not valid crypt64"],
    [`$y$j9T$${SALT}$${HASH}$`, "must have the form"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });

  it("is refused as unavailable where the libxcrypt addon is missing, and never checked", () => {
    const v = plain[0]!;
    const refused = yescrypt.parse(v.encoded, { limits: DEFAULT_COST_LIMITS, yescrypt: false });
    expect(refused).toEqual({ kind: "invalid", message: expect.stringContaining("not available on this platform") });
    // The limits are still checked first: an over-limit value says so wherever it is refused.
    expect(yescrypt.parse(withParams("jGT"), { limits: DEFAULT_COST_LIMITS, yescrypt: false })).toEqual({
      kind: "invalid",
      message: expect.stringContaining("PASSWORD_MAX_SCRYPT_MEMORY_MIB"),
    });
  });

  it("never echoes the value in a refusal", () => {
    expect(refusal(withParams("jGT"))).not.toContain(SALT);
  });
});

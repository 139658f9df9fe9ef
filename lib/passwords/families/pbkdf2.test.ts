import { describe, expect, it } from "vitest";

import { classifyPassword } from "../classify";
import { describeVectors, expectRefused } from "../testdata/family-tests";
import { vectorsOf } from "../testdata/vectors";

describeVectors(vectorsOf("$pbkdf2$", "$pbkdf2-sha256$", "$pbkdf2-sha512$"), (v) =>
  v.form === "$pbkdf2$" ? "PASSLIB-PBKDF2-SHA1" : v.form === "$pbkdf2-sha256$" ? "PASSLIB-PBKDF2-SHA256" : "PASSLIB-PBKDF2-SHA512",
);
describeVectors(vectorsOf("{PKCS5S2}"), () => "ATLASSIAN-PBKDF2-SHA1");
describeVectors(vectorsOf("pbkdf2:sha256", "pbkdf2:sha512", "pbkdf2:sha1"), (v) =>
  v.form === "pbkdf2:sha256" ? "WERKZEUG-PBKDF2-SHA256" : v.form === "pbkdf2:sha512" ? "WERKZEUG-PBKDF2-SHA512" : "WERKZEUG-PBKDF2-SHA1",
);

const passlib = vectorsOf("$pbkdf2-sha256$")[0]!.encoded;
const werkzeug = vectorsOf("pbkdf2:sha256")[0]!.encoded;
const atlassian = vectorsOf("{PKCS5S2}")[0]!.encoded;

describe("PBKDF2 iteration limit, in every layout", () => {
  it.each([
    [passlib.replace("$29000$", "$10000000$"), passlib.replace("$29000$", "$10000001$")],
    [werkzeug.replace(":260000$", ":10000000$"), werkzeug.replace(":260000$", ":10000001$")],
    [
      "{PBKDF2-SHA256}10000000$" + "A".repeat(22) + "$" + "A".repeat(43),
      "{PBKDF2-SHA256}10000001$" + "A".repeat(22) + "$" + "A".repeat(43),
    ],
    ["pbkdf2_sha256$10000000$salt$" + "A".repeat(43) + "=", "pbkdf2_sha256$10000001$salt$" + "A".repeat(43) + "="],
  ])("admits 10,000,000 and refuses 10,000,001: %s", async (admitted, refused) => {
    expect(classifyPassword(admitted).kind).toBe("encoded");
    await expectRefused(refused, "PASSWORD_MAX_PBKDF2_ITERATIONS");
  });
});

describe("passlib layout", () => {
  it.each([
    [passlib.replace("$29000$", "$029000$"), "iteration count"],
    [passlib.replace("$29000$", "$0$"), "iteration count"],
    [passlib.split("$").slice(0, 4).join("$"), "must have the form"],
    [passlib.replace("RQjBeI.R8p4TgvB.T4nR2g", "RQjBeI+R8p4TgvB+T4nR2g"), "adapted base64"],
    [passlib.slice(0, -2), "32 bytes"],
    [passlib.replace("$pbkdf2-sha256$", "$pbkdf2-sha512$"), "64 bytes"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });
});

describe("Atlassian {PKCS5S2}", () => {
  it.each([
    [atlassian.slice(0, -4), "48 bytes"],
    ["{PKCS5S2}", "48 bytes"],
    [atlassian.replace("+", "-"), "48 bytes"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });

  it("matches the scheme name case-insensitively, as OpenLDAP-style braces are", () => {
    expect(classifyPassword(atlassian.replace("{PKCS5S2}", "{pkcs5s2}"))).toEqual({ kind: "encoded", scheme: "ATLASSIAN-PBKDF2-SHA1" });
  });
});

describe("Werkzeug layout", () => {
  it.each([
    [werkzeug.replace("pbkdf2:sha256:260000", "pbkdf2:sha256"), "names no iteration count"],
    [werkzeug.replace("pbkdf2:sha256", "pbkdf2:md5"), "must have the form"],
    [werkzeug.replace(":260000$", ":abc$"), "iteration count"],
    [werkzeug.slice(0, -2), "64 hex digits"],
    [werkzeug.slice(0, -1) + "g", "64 hex digits"],
    ["pbkdf2:sha256:1000$salt", "must have the form"],
    ["pbkdf2:", "must have the form"],
  ])("refuses %s (%s)", async (value, fragment) => {
    await expectRefused(value, fragment);
  });

  it("accepts upper-case hex, which Werkzeug's own comparison would not tell apart from lower", () => {
    const [method, salt, hex] = werkzeug.split("$");
    expect(classifyPassword(`${method}$${salt}$${hex!.toUpperCase()}`).kind).toBe("encoded");
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ADAPTED_BASE64_ALPHABET, BASE64_ALPHABET, decodeBase64, decodeHex } from "./codec";

// The strict decoders against Node's own (Buffer), which is lenient: on well-formed text they
// must agree, from any start offset (the salted-digest and Django parsers decode in place,
// after the scheme prefix, without slicing it off).
describe("decodeBase64", () => {
  it("agrees with Buffer on every well-formed text, at any start offset", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.string({ maxLength: 12 }), fc.boolean(), (bytes, prefix, padded) => {
        let text = Buffer.from(bytes).toString("base64");
        if (!padded) text = text.replace(/=+$/, "");
        const decoded = decodeBase64(prefix + text, BASE64_ALPHABET, "optional", prefix.length);
        expect(decoded && Buffer.from(decoded)).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it("refuses what Buffer would tolerate, also after a prefix", () => {
    for (const body of ["QUJD=", "QU=D", "QUJD!", "Q", "QUJDR", "QUJD===", "QU JD"]) {
      expect(decodeBase64(body), body).toBeNull();
      expect(decodeBase64("{SSHA}" + body, BASE64_ALPHABET, "optional", 6), body).toBeNull();
    }
    // Groups count from the start offset: "{X}QUI=" is one whole group after the prefix, not before it.
    expect(Buffer.from(decodeBase64("{X}QUI=", BASE64_ALPHABET, "optional", 3)!).toString()).toBe("AB");
    expect(decodeBase64("{X}QUI=", BASE64_ALPHABET, "optional", 2)).toBeNull();
    expect(Buffer.from(decodeBase64("{X}QUJD", BASE64_ALPHABET, "optional", 3)!).toString()).toBe("ABC");
    expect(decodeBase64("QUJD", BASE64_ALPHABET, "forbidden")).not.toBeNull();
    expect(decodeBase64("QUI=", BASE64_ALPHABET, "forbidden")).toBeNull();
    expect(decodeBase64("QUI", BASE64_ALPHABET, "required")).toBeNull();
    expect(Buffer.from(decodeBase64("ab.c", ADAPTED_BASE64_ALPHABET, "forbidden")!)).toEqual(Buffer.from("ab+c", "base64"));
  });
});

describe("decodeHex", () => {
  it("decodes either case from any start offset, and refuses odd lengths and non-hex digits", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.string({ maxLength: 8 }), fc.boolean(), (bytes, prefix, upper) => {
        const hex = Buffer.from(bytes).toString("hex");
        const decoded = decodeHex(prefix + (upper ? hex.toUpperCase() : hex), prefix.length);
        expect(decoded && Buffer.from(decoded)).toEqual(Buffer.from(bytes));
      }),
    );
    expect(decodeHex("abc")).toBeNull();
    expect(decodeHex("sha1$$abc", 6)).toBeNull();
    expect(decodeHex("0g")).toBeNull();
  });
});

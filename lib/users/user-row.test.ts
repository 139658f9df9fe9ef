import { describe, expect, it } from "vitest";
import { MAX_PROFILE_BYTES, profileOf, profileTooLarge } from "./user-row";

/** The rule as stated: the profile's JSON is over 16 KB of UTF-8. */
const exact = (p: Record<string, unknown>) => new TextEncoder().encode(JSON.stringify(p)).byteLength > MAX_PROFILE_BYTES;

describe("profileTooLarge", () => {
  // {"nickname":"…"} is 15 bytes around the value.
  const around = JSON.stringify({ nickname: "" }).length;
  const cases: [string, Record<string, unknown>][] = [
    ["empty", {}],
    ["small", { nickname: "ada", name: { given: "Ada", family: "Lovelace" }, address: { countryCode: "GB" } }],
    ["ASCII at the limit", { nickname: "a".repeat(MAX_PROFILE_BYTES - around) }],
    ["ASCII one byte over", { nickname: "a".repeat(MAX_PROFILE_BYTES - around + 1) }],
    ["three-byte characters at the limit", { nickname: "€".repeat(Math.floor((MAX_PROFILE_BYTES - around) / 3)) }],
    ["three-byte characters one over", { nickname: "€".repeat(Math.floor((MAX_PROFILE_BYTES - around) / 3)) + "ab" }],
    ["escaped control characters", { nickname: "\u0001".repeat(Math.floor((MAX_PROFILE_BYTES - around) / 6)) }],
    ["escaped control characters one over", { nickname: "\u0001".repeat(Math.floor((MAX_PROFILE_BYTES - around) / 6) + 1) }],
    ["a fifth of the limit in many fields", Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, "x".repeat(80)]))],
    ["many fields over", Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, "x".repeat(80)]))],
    ["a nested document", { name: { given: "g".repeat(3000), family: "f".repeat(3000) }, address: { streetAddress: "s".repeat(3000) } }],
  ];
  it.each(cases)("%s: as the UTF-8 length of its JSON says", (_name, profile) => {
    expect(profileTooLarge(profile)).toBe(exact(profile));
  });
  it("the cases cover both answers", () => {
    expect(cases.filter(([, p]) => exact(p)).length).toBeGreaterThanOrEqual(4);
    expect(cases.filter(([, p]) => !exact(p)).length).toBeGreaterThanOrEqual(4);
  });
});

describe("profileOf", () => {
  it("keeps the profile attributes that are set, in order, and leaves empty parts and other keys out", () => {
    const input = {
      username: "ada",
      nickname: "A",
      title: null,
      name: { given: "Ada", family: undefined, middle: null },
      address: { locality: null },
      photo: { href: "https://example.com/a.png" },
      locale: "en-GB",
    };
    const profile = profileOf(input as Parameters<typeof profileOf>[0]);
    expect(profile).toEqual({ name: { given: "Ada" }, nickname: "A", locale: "en-GB", photo: { href: "https://example.com/a.png" } });
    expect(Object.keys(profile)).toEqual(["name", "nickname", "locale", "photo"]);
  });
});

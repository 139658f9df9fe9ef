import { describe, expect, it } from "vitest";
import { isUuid, LOWER_CASE_UUID_RE, UUID_RE, uuidv7 } from "./ids";

describe("uuidv7", () => {
  it("is an RFC 9562 version 7 UUID carrying the current millisecond, in lower case", () => {
    const before = Date.now();
    const id = uuidv7();
    const after = Date.now();
    expect(id).toMatch(LOWER_CASE_UUID_RE);
    expect(id[14]).toBe("7");
    expect(["8", "9", "a", "b"]).toContain(id[19]);
    const ms = parseInt(id.replace(/-/g, "").slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
  });

  it("sorts by creation time across milliseconds and never repeats", async () => {
    const first = uuidv7();
    await new Promise((r) => setTimeout(r, 2));
    const second = uuidv7();
    expect(first < second).toBe(true);
    expect(new Set(Array.from({ length: 10_000 }, uuidv7)).size).toBe(10_000);
  });

  it("sorts in the order made within one millisecond too (a counter in rand_a)", () => {
    const ids = Array.from({ length: 20_000 }, uuidv7);
    for (let i = 1; i < ids.length; i++) expect(ids[i - 1]! < ids[i]!, `${ids[i - 1]} then ${ids[i]}`).toBe(true);
    expect(ids.every((id) => id[14] === "7" && ["8", "9", "a", "b"].includes(id[19]!))).toBe(true);
  });
});

describe("the UUID rule", () => {
  it("accepts a UUID in any case and nothing else", () => {
    expect(isUuid("0D000000-0000-4000-8000-000000000002")).toBe(true);
    for (const v of ["0d000000-0000-4000-8000-00000000000", "0d000000-0000-4000-8000-00000000000g", "x", 42, null]) expect(isUuid(v)).toBe(false);
    expect(UUID_RE.test("0D000000-0000-4000-8000-000000000002")).toBe(true);
    expect(LOWER_CASE_UUID_RE.test("0D000000-0000-4000-8000-000000000002")).toBe(false);
  });
});

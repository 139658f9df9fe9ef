import "server-only";

import { timingSafeEqual } from "node:crypto";

/**
 * Compares two byte strings without leaking where they differ. A length mismatch returns early:
 * lengths come from the stored format, not from the secret.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function textEqual(a: string, b: string): boolean {
  return bytesEqual(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

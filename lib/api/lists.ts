import { invalidData } from "./errors";

/** PingOne's list envelope: `{_links: {self, next?}, _embedded: {<name>: [...]}, size}`. */
export function listBody<T>(name: string, items: T[], selfHref: string, nextHref?: string | null) {
  return {
    _links: { self: { href: selfHref }, ...(nextHref ? { next: { href: nextHref } } : {}) },
    _embedded: { [name]: items },
    size: items.length,
  };
}

/** `limit`: default and maximum as spec 2.6; anything but a positive integer is a clear 400. */
export function parseLimit(raw: string | null, fallback: number, max: number): number {
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    throw invalidData([{ code: "INVALID_VALUE", target: "limit", message: `limit must be a whole number from 1 to ${max}.` }]);
  }
  const n = Number(raw);
  if (n > max) {
    throw invalidData([{ code: "OUT_OF_RANGE", target: "limit", message: `limit must be a whole number from 1 to ${max}.` }]);
  }
  return n;
}

/**
 * Ids: the one UUID rule and the one id generator. Browser-safe (Web Crypto, no Node imports), so
 * that the user schema the console form validates with reads the same rule as the server.
 */

/** A UUID in any letter case (ids are compared lower-cased). */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The form every id has in a response: lower case (the OpenAPI document describes this one). */
export const LOWER_CASE_UUID_RE = new RegExp(UUID_RE.source);

export function isUuid(value: unknown): value is string {
  return typeof value === "string" && UUID_RE.test(value);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * UUIDv7 (RFC 9562): time-ordered, so a keyset cursor on `id` lists users in creation order
 * and stays stable while new users arrive at the end.
 */
// Random bytes drawn 4 KB at a time: one getRandomValues call per id cost a bulk batch a few
// percent of its CPU. Each id copies its 16 bytes out, so no two ids share randomness.
const POOL = new Uint8Array(4096);
let poolAt = POOL.length;
const ID_BYTES = new Uint8Array(16);
let lastMs = -1;
let counter = 0;

export function uuidv7(): string {
  if (poolAt + 16 > POOL.length) {
    crypto.getRandomValues(POOL);
    poolAt = 0;
  }
  // The id's 16 bytes, copied into a buffer of the module's own: a new typed array (and its
  // buffer) per id was most of what making an id allocated. Nothing keeps them once the string is made.
  const bytes = ID_BYTES;
  for (let i = 0; i < 16; i++) bytes[i] = POOL[poolAt + i]!;
  poolAt += 16;
  // Monotonic within the process (RFC 9562 6.2, method 1): ids made in the same millisecond carry
  // a 12-bit counter in rand_a, started at a random value with room to count, so that rows created
  // together (an environment's populations, a batch) list in the order they were made.
  let ms = Date.now();
  if (ms > lastMs) {
    lastMs = ms;
    counter = ((bytes[6]! & 0x07) << 8) | bytes[7]!;
  } else {
    ms = lastMs;
    counter += 1;
    if (counter > 0xfff) {
      lastMs = ms = lastMs + 1;
      counter = 0;
    }
  }
  // 48 bits of milliseconds: the high 16 bits by division, the low 32 by remainder (no BigInt needed).
  const high = Math.floor(ms / 2 ** 32);
  const low = ms % 2 ** 32;
  bytes[0] = (high >>> 8) & 0xff;
  bytes[1] = high & 0xff;
  bytes[2] = (low >>> 24) & 0xff;
  bytes[3] = (low >>> 16) & 0xff;
  bytes[4] = (low >>> 8) & 0xff;
  bytes[5] = low & 0xff;
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  let hex = "";
  for (let i = 0; i < 16; i++) {
    hex += HEX[bytes[i]!];
    if (i === 3 || i === 5 || i === 7 || i === 9) hex += "-";
  }
  return hex;
}

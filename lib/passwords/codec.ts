// Base64 flavours used by stored password formats. Hand-written rather than atob/Buffer so
// the same strict decoder runs in the browser and in Node and rejects what they would tolerate.

export const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// OpenLDAP pw-pbkdf2 (and passlib) "adapted base64": '.' replaces '+', no padding.
export const ADAPTED_BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./";
// The crypt(3) alphabet; order matters for encoding, so it is kept next to the others.
export const CRYPT64_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export type Padding = "required" | "optional" | "forbidden";

// Decoded bytes go straight to node:crypto on the server. A small, fresh Uint8Array lives on V8's
// heap, and native code must first move it off (or copy it) on every use; Node's pooled Buffers
// are off-heap already. So on the server the decoders write into Buffer.allocUnsafe (a Uint8Array
// too); in the browser, where there is no Buffer, into a plain Uint8Array.
const nodeBuffer = (globalThis as { Buffer?: { allocUnsafe?: (size: number) => Uint8Array } }).Buffer;
const allocate: (size: number) => Uint8Array =
  typeof nodeBuffer?.allocUnsafe === "function" ? nodeBuffer.allocUnsafe.bind(nodeBuffer) : (size) => new Uint8Array(size);

const lookupTables = new Map<string, Int16Array>();

function lookupFor(alphabet: string): Int16Array {
  let table = lookupTables.get(alphabet);
  if (!table) {
    table = new Int16Array(128).fill(-1);
    for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
    lookupTables.set(alphabet, table);
  }
  return table;
}

/** The 6-bit value of text[i] in `table`, or -1. */
function sextetAt(table: Int16Array, text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 128 ? table[code]! : -1;
}

/**
 * Decodes base64 text (from `start` on, so that a caller need not cut off a prefix first), or
 * returns null when it is not well-formed for the given flavour.
 */
export function decodeBase64(
  text: string,
  alphabet: string = BASE64_ALPHABET,
  padding: Padding = "optional",
  start = 0,
): Uint8Array | null {
  const table = lookupFor(alphabet);
  const total = text.length - start;
  let end = text.length;
  // Up to two "=" at the end, only where they complete a group of four.
  let pad = 0;
  while (pad < 2 && end > start && text.charCodeAt(end - 1) === 0x3d /* = */) {
    end--;
    pad++;
  }
  if (pad > 0 && (padding === "forbidden" || total % 4 !== 0)) return null;
  if (pad === 0 && padding === "required" && total % 4 !== 0) return null;
  const length = end - start;
  // A single leftover character carries only 6 bits: never a whole byte.
  if (length % 4 === 1) return null;

  const out = allocate((length * 3) >> 2);
  let o = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const a = sextetAt(table, text, i), b = sextetAt(table, text, i + 1), c = sextetAt(table, text, i + 2), d = sextetAt(table, text, i + 3);
    if ((a | b | c | d) < 0) return null;
    const word = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = word >> 16;
    out[o++] = (word >> 8) & 0xff;
    out[o++] = word & 0xff;
  }
  if (i < end) {
    const a = sextetAt(table, text, i), b = sextetAt(table, text, i + 1), c = i + 2 < end ? sextetAt(table, text, i + 2) : 0;
    if ((a | b | c) < 0) return null;
    const word = (a << 18) | (b << 12) | (c << 6);
    out[o++] = word >> 16;
    if (i + 2 < end) out[o++] = (word >> 8) & 0xff;
  }
  return out;
}

export function utf8Bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

const HEX = lookupFor("0123456789abcdef");
const HEX_UPPER = lookupFor("0123456789ABCDEF");

/** Lower- or upper-case hex of whole bytes (from `start` on), or null. */
export function decodeHex(text: string, start = 0): Uint8Array | null {
  if ((text.length - start) % 2 !== 0) return null;
  const out = allocate((text.length - start) / 2).fill(0);
  for (let i = start; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? (HEX[code]! >= 0 ? HEX[code]! : HEX_UPPER[code]!) : -1;
    if (digit < 0) return null;
    const o = (i - start) >> 1;
    out[o] = (out[o]! << 4) | digit;
  }
  return out;
}

/**
 * The little-endian crypt64 that phpass, scrypt's `$7$`, yescrypt and passlib's "h64" write:
 * each group of up to three bytes is read as a little-endian number and written six bits at a
 * time, least significant first. (SHA-crypt and MD5-crypt use the same digit order but their
 * own byte shuffles, see families/sha-crypt.ts.)
 */
export function encodeCrypt64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = Math.min(3, bytes.length - i);
    let value = 0;
    for (let k = 0; k < n; k++) value |= bytes[i + k]! << (8 * k);
    for (let bit = 0; bit < 8 * n; bit += 6) out += CRYPT64_ALPHABET[(value >> bit) & 0x3f];
  }
  return out;
}

/** The index of a crypt64 character, or -1. */
export function crypt64Value(char: string | undefined): number {
  return char === undefined || char.length !== 1 ? -1 : CRYPT64_ALPHABET.indexOf(char);
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * True when `text` is exactly what encodeCrypt64 writes for some bytes: no lone last digit, and
 * the unused high bits of a short last group zero. libxcrypt (yescrypt's salt) and every tool
 * that compares the encoded text refuse or never match anything else.
 */
export function isCanonicalCrypt64(text: string): boolean {
  const tail = text.length % 4;
  if (tail === 1) return false;
  for (const char of text) if (crypt64Value(char) < 0) return false;
  if (tail === 0) return true;
  const last = crypt64Value(text[text.length - 1]);
  // Two digits carry one byte (4 spare bits), three digits two bytes (2 spare bits).
  return last < (tail === 2 ? 4 : 16);
}

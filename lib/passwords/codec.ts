// Base64 flavours used by stored password formats. Hand-written rather than atob/Buffer so
// the same strict decoder runs in the browser and in Node and rejects what they would tolerate.

export const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// OpenLDAP pw-pbkdf2 (and passlib) "adapted base64": '.' replaces '+', no padding.
export const ADAPTED_BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./";
// The crypt(3) alphabet; order matters for encoding, so it is kept next to the others.
export const CRYPT64_ALPHABET = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

export type Padding = "required" | "optional" | "forbidden";

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

/** Decodes base64 text, or returns null when it is not well-formed for the given flavour. */
export function decodeBase64(
  text: string,
  alphabet: string = BASE64_ALPHABET,
  padding: Padding = "optional",
): Uint8Array | null {
  let body = text;
  const padStart = text.indexOf("=");
  if (padStart !== -1) {
    if (padding === "forbidden") return null;
    body = text.slice(0, padStart);
    const pad = text.slice(padStart);
    if (!/^={1,2}$/.test(pad) || text.length % 4 !== 0) return null;
  } else if (padding === "required" && text.length % 4 !== 0) {
    return null;
  }
  // A single leftover character carries only 6 bits: never a whole byte.
  if (body.length % 4 === 1) return null;

  const table = lookupFor(alphabet);
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    const value = code < 128 ? table[code]! : -1;
    if (value < 0) return null;
    buffer = ((buffer << 6) | value) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

export function utf8Bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Lower- or upper-case hex of whole bytes, or null. */
export function decodeHex(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
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

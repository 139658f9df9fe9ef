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

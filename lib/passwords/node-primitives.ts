// The cryptographic primitives of lib/passwords/family.ts on Node: node:crypto, the argon2 and
// bcryptjs packages, and libxcrypt through its addon. Everything but Argon2 is synchronous: the
// families that use the slow ones run on the check workers (checks.ts), never on the event loop.

import { createCipheriv, createHash, createHmac, pbkdf2Sync, scryptSync, timingSafeEqual } from "node:crypto";

import { verify as argon2Verify } from "argon2";
import bcryptjs from "bcryptjs";

import type { Primitives } from "./family";
import { loadXcrypt } from "./native";
import { passwordSettings } from "./settings";

export const nodePrimitives: Primitives = {
  digest(algorithm, ...parts) {
    const h = createHash(algorithm);
    for (let i = 0; i < parts.length; i++) h.update(parts[i]!);
    return h.digest();
  },
  hmac(algorithm, key, ...parts) {
    const h = createHmac(algorithm, key);
    for (const part of parts) h.update(part);
    return h.digest();
  },
  pbkdf2: (algorithm, password, salt, iterations, length) => pbkdf2Sync(password, salt, iterations, length, algorithm),
  // OpenSSL wants room for 128·r·(N + p + 2) bytes; the cost limits have already bounded N, r and p.
  scrypt: (password, salt, length, { N, r, p }) => scryptSync(password, salt, length, { N, r, p, maxmem: 128 * r * (N + p + 2) + 2 ** 20 }),
  aes256CtrEncrypt(key, iv, data) {
    const cipher = createCipheriv("aes-256-ctr", key, iv);
    return Buffer.concat([cipher.update(data), cipher.final()]);
  },
  argon2Verify: (phc, password) => argon2Verify(phc, Buffer.from(password)),
  bcrypt: (password, setting) => bcryptjs.hashSync(password, setting),
  crypt: (password, setting) => loadXcrypt(passwordSettings().xcryptAddon)?.crypt(Buffer.from(password), setting) ?? null,
  equal: (a, b) => a.length === b.length && timingSafeEqual(a, b),
  utf8: (text) => Buffer.from(text, "utf8"),
};

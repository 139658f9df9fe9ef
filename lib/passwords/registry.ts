// Every accepted password family, in one list. The classifier and verifyPassword only walk it:
// adding a family is adding its module here, with its vectors. Browser-safe.

import { argon2 } from "./families/argon2";
import { bcrypt } from "./families/bcrypt";
import { djangoDigest } from "./families/django-digest";
import { md5CryptFamily } from "./families/md5-crypt";
import { atlassianPbkdf2, djangoPbkdf2, ldapPbkdf2, passlibPbkdf2, werkzeugPbkdf2 } from "./families/pbkdf2";
import { phpass } from "./families/phpass";
import { saltedDigest } from "./families/salted-digest";
import { firebaseScrypt, passlibScrypt, scryptCrypt } from "./families/scrypt";
import { sha1Crypt } from "./families/sha1-crypt";
import { shaCryptFamily } from "./families/sha-crypt";
import { yescrypt } from "./families/yescrypt";
import type { PasswordFamily } from "./family";

export const PASSWORD_FAMILIES = [
  saltedDigest,
  ldapPbkdf2,
  atlassianPbkdf2,
  bcrypt,
  argon2,
  shaCryptFamily,
  md5CryptFamily,
  yescrypt,
  scryptCrypt,
  passlibScrypt,
  firebaseScrypt,
  phpass,
  sha1Crypt,
  passlibPbkdf2,
  djangoPbkdf2,
  djangoDigest,
  werkzeugPbkdf2,
] as const;

type HashOf<F> = F extends PasswordFamily<infer H> ? H : never;

/** A parsed pre-encoded value of any accepted family. */
export type ParsedPasswordHash = HashOf<(typeof PASSWORD_FAMILIES)[number]>;

/** The label of an accepted form, shown by the console form and written to audit events. */
export type PasswordScheme = ParsedPasswordHash["scheme"];

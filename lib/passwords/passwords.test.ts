import { createHash, pbkdf2Sync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

import { argon2id, hash as argon2Hash } from "argon2";
import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";

import {
  ARGON2ID_PARAMS,
  checkPasswordPolicy,
  classifyPassword,
  DEFAULT_PASSWORD_POLICY,
  hashPassword,
  isPreEncoded,
  needsRehash,
  type PasswordScheme,
  verifyPassword,
} from "./index";

type Vector = { form: string; encoded: string; password: string; madeBy: string };
type Rejected = { encoded: string; why: string };

// shared/ sits beside the repository both locally and in CI.
const vectorFile = path.resolve(__dirname, "../../../shared/vectors/passwords.json");
const { vectors, rejected } = JSON.parse(readFileSync(vectorFile, "utf8")) as {
  vectors: Vector[];
  rejected: Rejected[];
};

const OTHER_PASSWORD = "Tr0ub4dor&3";

const SCHEME_BY_FORM: Record<string, PasswordScheme> = {
  "{SSHA}": "SSHA",
  "{SSHA256}": "SSHA256",
  "{SSHA384}": "SSHA384",
  "{SSHA512}": "SSHA512",
  "{SHA}": "SHA",
  "{SMD5}": "SMD5",
  "{MD5}": "MD5",
  "{PBKDF2}": "PBKDF2-SHA1",
  "{PBKDF2-SHA1}": "PBKDF2-SHA1",
  "{PBKDF2-SHA256}": "PBKDF2-SHA256",
  "{PBKDF2-SHA512}": "PBKDF2-SHA512",
  "{BCRYPT}": "BCRYPT",
  $2a$: "BCRYPT",
  $2b$: "BCRYPT",
  $2y$: "BCRYPT",
  $6$: "SHA512-CRYPT",
  $5$: "SHA256-CRYPT",
  $1$: "MD5-CRYPT",
  pbkdf2_sha256$: "DJANGO-PBKDF2-SHA256",
  pbkdf2_sha1$: "DJANGO-PBKDF2-SHA1",
  $argon2id$: "ARGON2ID",
  $argon2i$: "ARGON2I",
};

function expectedScheme(vector: Vector): PasswordScheme {
  if (vector.form === "{ARGON2}") return vector.encoded.startsWith("{ARGON2}$argon2id$") ? "ARGON2ID" : "ARGON2I";
  const scheme = SCHEME_BY_FORM[vector.form];
  if (!scheme) throw new Error(`no expected scheme for form ${vector.form}`);
  return scheme;
}

function invalidMessage(value: string): string {
  const result = classifyPassword(value);
  if (result.kind !== "invalid") throw new Error(`expected invalid, got ${result.kind}`);
  return result.message;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
const adaptedB64 = (bytes: Uint8Array) => b64(bytes).replace(/\+/g, ".").replace(/=+$/, "");

describe("shared test vectors", () => {
  it("are present", () => {
    expect(vectors.length).toBeGreaterThan(0);
    expect(rejected.length).toBeGreaterThan(0);
  });

  describe.each(vectors.map((v, i) => [`#${i} ${v.form} (${v.madeBy})`, v] as const))("%s", (_, vector) => {
    it("classifies as the expected scheme", () => {
      expect(classifyPassword(vector.encoded)).toEqual({ kind: "encoded", scheme: expectedScheme(vector) });
      expect(isPreEncoded(vector.encoded)).toBe(true);
    });

    it("verifies its password and no other", async () => {
      expect(await verifyPassword(vector.encoded, vector.password)).toBe(true);
      expect(await verifyPassword(vector.encoded, vector.password + "x")).toBe(false);
      expect(await verifyPassword(vector.encoded, OTHER_PASSWORD)).toBe(false);
    });

    it("needs a rehash", () => {
      expect(needsRehash(vector.encoded)).toBe(true);
    });
  });

  describe.each(rejected.map((r) => [r.why, r] as const))("rejects: %s", (_, entry) => {
    it("as invalid without echoing the value", async () => {
      const message = invalidMessage(entry.encoded);
      expect(message).not.toContain(entry.encoded);
      const body = entry.encoded.replace(/^(\{[^}]*\}|\$[^$]*\$)/, "");
      expect(message).not.toContain(body);
      expect(message).toMatch(/\.$/);
      expect(await verifyPassword(entry.encoded, "anything")).toBe(false);
    });
  });

  it("gives actionable messages for the rejected entries", () => {
    expect(invalidMessage("{SSHA512}AAAA")).toBe("The {SSHA512} value is too short to hold a SHA-512 digest and salt.");
    expect(invalidMessage("$2b$99$abcdefghijklmnopqrstuu0123456789012345678901234567890")).toBe(
      "bcrypt cost must be between 4 and 31.",
    );
    expect(invalidMessage("{SCRYPT}c29tZXRoaW5n")).toBe("The {SCRYPT} scheme is not supported yet: its byte layout is not public.");
    expect(invalidMessage("{MSKCC_PBKDF2}c29tZXRoaW5n")).toContain("not supported yet");
    expect(invalidMessage("{NOPE}abc")).toContain("names no supported password scheme");
    expect(invalidMessage("{PBKDF2-SHA256}0$AAAA$AAAA")).toContain("iteration count");
    expect(invalidMessage("{SSHA}!!not base64!!")).toBe("The {SSHA} value is not valid base64.");
  });
});

describe("classifyPassword", () => {
  it.each(["hunter2hunter2", "correct horse battery staple", "", "p@$$word", "hello {SSHA}x"])(
    "treats %j as cleartext",
    (value) => {
      expect(classifyPassword(value)).toEqual({ kind: "cleartext" });
      expect(isPreEncoded(value)).toBe(false);
    },
  );

  it("treats a value with leading whitespace as cleartext: only the first character decides", () => {
    expect(classifyPassword(" {SSHA}abc")).toEqual({ kind: "cleartext" });
  });

  it("treats Django formats we do not accept as cleartext, as the contract says for unknown prefixes", () => {
    expect(classifyPassword("pbkdf2_sha512$1000$salt$key")).toEqual({ kind: "cleartext" });
  });

  // The contract rejects values that start with "{" or "$" and name no known scheme. A "{" with no
  // closing brace names nothing, so it is rejected too rather than stored as a literal password.
  it("rejects '{' without a closing brace", () => {
    const message = invalidMessage("{notascheme");
    expect(message).toContain('starts with "{"');
    expect(message).not.toContain("notascheme");
  });

  it("rejects $-prefixed cleartext", () => {
    const message = invalidMessage("$ecret-pass");
    expect(message).toContain('starts with "$"');
    expect(message).not.toContain("ecret");
  });

  it("rejects unknown modular-crypt identifiers without echoing them", () => {
    const m = invalidMessage("$2x$06$fN3yVklgLQMmTssVkpg3V.Gfo9jwfOsWg8/STcbvVjM9GBL.biIxa");
    expect(m).toContain('starts with "$"');
    expect(m).not.toContain("2x");
    expect(invalidMessage("$md5,rounds=5000$GUBv0xjJ$$mSwgIswdjlTY0YxV7HBVm0")).not.toContain("md5");
  });

  it("never echoes an unknown braced name, which may be a password", () => {
    expect(invalidMessage("{Summer2024}")).not.toContain("Summer2024");
  });

  it("accepts {CRYPT} around modular crypt forms, as OpenLDAP exports them", async () => {
    for (const v of vectors.filter((x) => ["$6$", "$5$", "$1$", "$2y$", "$2b$", "$2a$"].includes(x.form))) {
      const wrapped = `{CRYPT}${v.encoded}`;
      expect(classifyPassword(wrapped).kind).toBe("encoded");
      expect(await verifyPassword(wrapped, v.password)).toBe(true);
      expect(await verifyPassword(wrapped, v.password + "x")).toBe(false);
    }
    expect(invalidMessage("{CRYPT}abJnggxhB/yWI")).toContain("DES crypt");
  });

  it("does not echo brace contents that do not look like a scheme name", () => {
    expect(invalidMessage("{my secret}rest")).not.toContain("my secret");
    expect(invalidMessage("$my secret$rest")).not.toContain("my secret");
  });

  it("matches brace scheme names case-insensitively, as OpenLDAP does", () => {
    const ssha = vectors.find((v) => v.form === "{SSHA}")!;
    expect(classifyPassword(ssha.encoded.replace("{SSHA}", "{ssha}"))).toEqual({ kind: "encoded", scheme: "SSHA" });
    expect(invalidMessage("{scrypt}abc")).toContain("{SCRYPT} scheme is not supported yet");
    expect(invalidMessage("{SCRYPT_RFC7914}abc")).toContain("not supported yet");
  });

  const argonSalt = "7Kvz/w6NLS8aVZ3S9eQtdw";
  const argonHash = "rFMYuKbjuiPhQeVZd9eYZjv25NYkfmdA5ceeH3BC1iA";
  const bcryptBody = "fN3yVklgLQMmTssVkpg3V.Gfo9jwfOsWg8/STcbvVjM9GBL.biIxa";
  const dk32 = adaptedB64(new Uint8Array(32));
  const salt16 = adaptedB64(new Uint8Array(16));

  it.each([
    ["{SSHA}", "too short"],
    [`{SHA}${b64(new Uint8Array(21))}`, "exactly 20 bytes"],
    [`{MD5}${b64(new Uint8Array(15))}`, "exactly 16 bytes"],
    [`{SMD5}${b64(new Uint8Array(16))}`, "too short"],
    [`{SSHA256}${b64(new Uint8Array(40)).replace(/=*$/, "===")}`, "not valid base64"],
    [`{BCRYPT}`, "bcrypt value is malformed"],
    [`{BCRYPT}$2b$6$${bcryptBody}`, "bcrypt value is malformed"],
    [`$2b$03$${bcryptBody}`, "between 4 and 31"],
    [`$2b$32$${bcryptBody}`, "between 4 and 31"],
    [`$2b$06$${bcryptBody.slice(1)}`, "exactly 53 characters"],
    [`$2b$06$${bcryptBody.slice(1)}!`, "exactly 53 characters"],
    [`{ARGON2}argon2id$v=19$m=4096,t=2,p=1$${argonSalt}$${argonHash}`, "PHC"],
    [`$argon2id$v=19$m=4096,t=2$${argonSalt}$${argonHash}`, "PHC"],
    [`$argon2id$v=19$m=4096,t=2,p=1,p=1$${argonSalt}$${argonHash}`, "PHC"],
    [`$argon2id$v=19$m=04096,t=2,p=1$${argonSalt}$${argonHash}`, "PHC"],
    [`$argon2id$m=4096,t=2,p=1$${argonSalt}$${argonHash}`, "PHC"],
    [`$argon2id$v=18$m=4096,t=2,p=1$${argonSalt}$${argonHash}`, "v=16 or v=19"],
    [`$argon2id$v=19$m=4096,t=0,p=1$${argonSalt}$${argonHash}`, "out of range"],
    [`$argon2id$v=19$m=7,t=2,p=1$${argonSalt}$${argonHash}`, "out of range"],
    [`$argon2id$v=19$m=4096,t=2,p=1$${argonSalt}==$${argonHash}`, "unpadded base64"],
    [`$argon2id$v=19$m=4096,t=2,p=1$AAAAAA$${argonHash}`, "at least 8 bytes"],
    [`{PBKDF2-SHA256}10000$${salt16}`, "<iterations>$<salt>$<derived key>"],
    [`{PBKDF2-SHA256}-1$${salt16}$${dk32}`, "iteration count"],
    [`{PBKDF2-SHA256}2147483648$${salt16}$${dk32}`, "iteration count"],
    [`{PBKDF2-SHA256}10000$$${dk32}`, "salt"],
    [`{PBKDF2-SHA256}10000$${salt16}$${dk32.slice(0, -3)}`, "must be 32 bytes"],
    [`{PBKDF2-SHA256}10000$${salt16}$${b64(new Uint8Array(32))}`, "adapted base64"],
    [`{PBKDF2-SHA512}10000$${salt16}$${dk32}`, "must be 64 bytes"],
    ["$6$rounds=999$salt$" + "a".repeat(86), "rounds"],
    ["$6$rounds=x$salt$" + "a".repeat(86), "rounds"],
    ["$6$salt$" + "a".repeat(85), "exactly 86 characters"],
    ["$5$salt$" + "a".repeat(86), "exactly 43 characters"],
    ["$6$saltsaltsaltsalt1$" + "a".repeat(86), "at most 16 characters"],
    ["$6$salt", "$6$[rounds=<n>$]<salt>$<hash>"],
    ["$1$saltsalt1$" + "a".repeat(22), "at most 8 characters"],
    ["$1$salt$" + "a".repeat(21), "exactly 22 characters"],
    ["pbkdf2_sha256$600000$salt", "form pbkdf2_sha256$"],
    ["pbkdf2_sha256$0$salt$" + b64(new Uint8Array(32)), "iteration count"],
    ["pbkdf2_sha256$1000$$" + b64(new Uint8Array(32)), "must not be empty"],
    ["pbkdf2_sha1$1000$salt$" + b64(new Uint8Array(32)), "exactly 20 bytes"],
  ])("rejects %s (%s)", async (value, fragment) => {
    expect(invalidMessage(value)).toContain(fragment);
    expect(await verifyPassword(value, "whatever")).toBe(false);
  });

  it("keeps the classifier and every module it reaches free of Node-only imports (it runs in the browser)", () => {
    // Walk the imports from classify.ts: every module reached must import only others like it.
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = readFileSync(file, "utf8");
      const imports = [...source.matchAll(/\bfrom\s+["']([^"']+)["']|\bimport\s+["']([^"']+)["']/g)].map((m) => (m[1] ?? m[2])!);
      for (const specifier of imports) {
        expect(specifier.startsWith("./") || specifier.startsWith("../"), `${path.relative(__dirname, file)} imports ${specifier}`).toBe(true);
        visit(path.resolve(path.dirname(file), specifier) + ".ts");
      }
    };
    visit(path.join(__dirname, "classify.ts"));
    expect([...seen].map((f) => path.relative(__dirname, f)).sort()).toEqual(
      expect.arrayContaining(["classify.ts", "codec.ts", "families/yescrypt.ts", "family.ts", "limits.ts", "registry.ts"]),
    );
    for (const file of seen) expect(file.startsWith(__dirname), file).toBe(true);
    expect(readFileSync(path.join(__dirname, "policy.ts"), "utf8")).not.toMatch(/\bfrom\s+["'](?!\.)/);
  });
});

describe("verifyPassword with hashes made here", () => {
  const password = "Zwölf Boxkämpfer jagen Viktor 🥊";

  it.each([
    ["SSHA", "sha1"],
    ["SSHA256", "sha256"],
    ["SSHA384", "sha384"],
    ["SSHA512", "sha512"],
    ["SMD5", "md5"],
  ])("round-trips {%s} with random salts of several lengths", async (scheme, algorithm) => {
    for (const saltLength of [1, 4, 8, 16, 33]) {
      const salt = randomBytes(saltLength);
      const digest = createHash(algorithm).update(password, "utf8").update(salt).digest();
      const stored = `{${scheme}}${b64(Buffer.concat([digest, salt]))}`;
      expect(classifyPassword(stored)).toEqual({ kind: "encoded", scheme });
      expect(await verifyPassword(stored, password)).toBe(true);
      expect(await verifyPassword(stored, password.normalize("NFD"))).toBe(false);
    }
  });

  it.each([
    ["SHA", "sha1"],
    ["MD5", "md5"],
  ])("round-trips unsalted {%s}", async (scheme, algorithm) => {
    const stored = `{${scheme}}${createHash(algorithm).update(password, "utf8").digest("base64")}`;
    expect(await verifyPassword(stored, password)).toBe(true);
    expect(await verifyPassword(stored, "")).toBe(false);
  });

  it("accepts base64 without padding in LDAP values", async () => {
    const salt = randomBytes(5);
    const digest = createHash("sha256").update(password, "utf8").update(salt).digest();
    const stored = `{SSHA256}${b64(Buffer.concat([digest, salt])).replace(/=+$/, "")}`;
    expect(await verifyPassword(stored, password)).toBe(true);
  });

  it.each([
    ["PBKDF2", "sha1", 20],
    ["PBKDF2-SHA1", "sha1", 20],
    ["PBKDF2-SHA256", "sha256", 32],
    ["PBKDF2-SHA512", "sha512", 64],
  ])("round-trips {%s} in adapted base64", async (scheme, algorithm, length) => {
    const salt = randomBytes(16);
    const dk = pbkdf2Sync(password, salt, 1234, length, algorithm);
    const stored = `{${scheme}}1234$${adaptedB64(salt)}$${adaptedB64(dk)}`;
    expect(await verifyPassword(stored, password)).toBe(true);
    expect(await verifyPassword(stored, password.slice(0, -1))).toBe(false);
  });

  it.each([
    ["pbkdf2_sha256", "sha256", 32],
    ["pbkdf2_sha1", "sha1", 20],
  ])("round-trips Django %s with a text salt", async (name, algorithm, length) => {
    const salt = "aB3-xyz_Qq9";
    const key = pbkdf2Sync(password, salt, 2000, length, algorithm);
    const stored = `${name}$2000$${salt}$${b64(key)}`;
    expect(await verifyPassword(stored, password)).toBe(true);
    expect(await verifyPassword(stored, "nope")).toBe(false);
  });

  it("round-trips bcrypt in every accepted spelling", async () => {
    const made = await bcrypt.hash(password, 4);
    const body = made.slice(4);
    for (const stored of [`$2a$${body}`, `$2b$${body}`, `$2y$${body}`, `{BCRYPT}$2b$${body}`]) {
      expect(classifyPassword(stored)).toEqual({ kind: "encoded", scheme: "BCRYPT" });
      expect(await verifyPassword(stored, password)).toBe(true);
      expect(await verifyPassword(stored, "nope")).toBe(false);
    }
  });

  it("round-trips argon2d, which no shared vector covers", async () => {
    const stored = await argon2Hash(password, { type: 0, memoryCost: 1024, timeCost: 1, parallelism: 1 });
    expect(classifyPassword(stored)).toEqual({ kind: "encoded", scheme: "ARGON2D" });
    expect(await verifyPassword(stored, password)).toBe(true);
    expect(await verifyPassword(`{ARGON2}${stored}`, password)).toBe(true);
    expect(await verifyPassword(stored, "nope")).toBe(false);
  });

  // Made by `openssl passwd`. Lengths at multiples of the digest size are where unixcrypt 3.0.4 goes
  // wrong, so they pin our own SHA-crypt implementation; the first two are Drepper's own examples.
  it.each([
    ["Hello world!", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5"],
    [
      "Hello world!",
      "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1",
    ],
    ["the minimum number is still observed", "$5$rounds=1000$roundstoolow$yfvwcWrQ8l/K0DAWyuPMDNHpIVlTQebY9l/gL972bIC"],
    ["a".repeat(32), "$5$saltsalt$tWapoD8pPXtbv36Daa/gvGzhHl1q7GaspUoh386s.vD"],
    [
      "a".repeat(64),
      "$6$saltsalt$dLW1aYM9zDeSwgYsFmvdxmhFQ.ehaT6i5XzWyeDv4Z677.mp/Lc.0XPmnwvDvk6TP4Px9uVPQy2OHM2Vxg9vW/",
    ],
    [
      "a".repeat(128),
      "$6$saltsalt$6ODW6HzfbdznOq3FsAj6QG5lk3oCMz7YjT5HnVY1E.QlAs3VXZ2Yva8VSz2vuZOifcpDkPbiV2fw3NJDv1nDn0",
    ],
    [
      "ü".repeat(32),
      "$6$saltsalt$E.swWMAxShi1p9bBW3AQkWLYhKpe/u2JtxAsueIiRDm2dF31SpylGJosXcS7vP0ApGaEJWGT98fgqwEwpB1ZP/",
    ],
    ["a".repeat(16), "$1$saltsalt$2hObSUCOy3yRB6pqDvLQx/"],
    ["b".repeat(40), "$1$saltsalt$ZvPf0Hu2Ml02XLfWsw0v4/"],
    ["", "$1$ab$rn6aQS/o7141mj179E/zA."],
  ])("matches openssl passwd for %j", async (plain, stored) => {
    expect(await verifyPassword(stored, plain)).toBe(true);
    expect(await verifyPassword(stored, plain + "a")).toBe(false);
  });
});

describe("verifyPassword on values that are not hashes", () => {
  it("never matches a stored cleartext or malformed value, and never throws", async () => {
    for (const stored of ["hunter2hunter2", "", "{NOPE}abc", "$", "{", "$argon2id$", "{BCRYPT}$2b$10$tooshort"]) {
      await expect(verifyPassword(stored, stored)).resolves.toBe(false);
    }
  });

  it("returns false rather than throwing for a non-string candidate from untyped callers", async () => {
    const stored = vectors.find((v) => v.form === "{SSHA}")!.encoded;
    await expect(verifyPassword(stored, undefined as unknown as string)).resolves.toBe(false);
  });
});

describe("hashPassword and needsRehash", () => {
  it("hashes with argon2id at our parameters, in PHC form", async () => {
    const stored = await hashPassword("hunter2hunter2");
    const [, id, version, params, salt, digest] = stored.split("$");
    expect([id, version, salt && salt.length > 0, digest && digest.length > 0]).toEqual(["argon2id", "v=19", true, true]);
    // node argon2 writes the parameters as m,p,t; order carries no meaning in PHC.
    const { memoryCost: m, timeCost: t, parallelism: p } = ARGON2ID_PARAMS;
    expect(params?.split(",").sort()).toEqual([`m=${m}`, `p=${p}`, `t=${t}`]);
    expect(ARGON2ID_PARAMS).toEqual({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
    expect(classifyPassword(stored)).toEqual({ kind: "encoded", scheme: "ARGON2ID" });
    expect(await verifyPassword(stored, "hunter2hunter2")).toBe(true);
    expect(await verifyPassword(stored, "hunter2hunter3")).toBe(false);
    expect(needsRehash(stored)).toBe(false);
    expect(await hashPassword("hunter2hunter2")).not.toBe(stored);
  });

  it("does not ask to rehash stronger argon2id", async () => {
    const stronger = await argon2Hash("x", { type: argon2id, memoryCost: 32768, timeCost: 3, parallelism: 2 });
    expect(needsRehash(stronger)).toBe(false);
  });

  it("asks to rehash anything weaker, older, prefixed or not a hash", async () => {
    const current = await hashPassword("x");
    expect(needsRehash(`{ARGON2}${current}`)).toBe(true);
    expect(needsRehash(current.replace("v=19", "v=16"))).toBe(true);
    expect(needsRehash(current.replace("m=19456", "m=19455"))).toBe(true);
    expect(needsRehash(current.replace("t=2", "t=1"))).toBe(true);
    expect(needsRehash(current.replace("$argon2id$", "$argon2i$"))).toBe(true);
    expect(needsRehash("hunter2hunter2")).toBe(true);
    expect(needsRehash("{NOPE}abc")).toBe(true);
  });
});

describe("checkPasswordPolicy", () => {
  it("defaults to 8-255 characters", () => {
    expect(DEFAULT_PASSWORD_POLICY).toEqual({ minLength: 8, maxLength: 255 });
    expect(checkPasswordPolicy("1234567", {})).toBe("The password must be at least 8 characters long.");
    expect(checkPasswordPolicy("12345678", {})).toBeNull();
    expect(checkPasswordPolicy("x".repeat(255), {})).toBeNull();
    expect(checkPasswordPolicy("x".repeat(256), {})).toBe("The password must be at most 255 characters long.");
  });

  it("counts code points, not UTF-16 units", () => {
    expect(checkPasswordPolicy("🥊".repeat(7), {})).toContain("at least 8");
    expect(checkPasswordPolicy("🥊".repeat(8), {})).toBeNull();
    expect(checkPasswordPolicy("🥊".repeat(255), {})).toBeNull();
  });

  it("rejects the username or email, ignoring case", () => {
    expect(checkPasswordPolicy("Alice.Smith", { username: "alice.smith" })).toBe(
      "The password must not be the same as the username.",
    );
    expect(checkPasswordPolicy("ALICE@example.com", { username: "alice", email: "alice@Example.com" })).toBe(
      "The password must not be the same as the email address.",
    );
    expect(checkPasswordPolicy("alice@example.com!", { username: "alice", email: "alice@example.com" })).toBeNull();
    expect(checkPasswordPolicy("long enough", { username: "someone", email: null })).toBeNull();
  });

  it("takes a custom policy", () => {
    const policy = { minLength: 12, maxLength: 16 };
    expect(checkPasswordPolicy("hunter2hunter", {}, policy)).toBeNull();
    expect(checkPasswordPolicy("hunter2", {}, policy)).toBe("The password must be at least 12 characters long.");
    expect(checkPasswordPolicy("x".repeat(17), {}, policy)).toBe("The password must be at most 16 characters long.");
  });
});

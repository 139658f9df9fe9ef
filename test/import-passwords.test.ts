/**
 * Passwords on import, spec 3.1-3.3 and 2.2 rules 8-9: every shared pre-encoded vector is stored
 * as given, every rejected one refused; cleartext becomes argon2id; the policy applies to
 * cleartext only and comes after uniqueness. No response ever holds a password or a hash.
 */
import fs from "node:fs";
import path from "node:path";
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "@/lib/passwords";
import { EXTRA, SECOND_WAVE, SECOND_WAVE_REJECTED } from "@/lib/passwords/testdata/vectors";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectInvalidData, uniqueName } from "./support/http";

type Vector = { form: string; encoded: string; password: string; madeBy: string };
type Rejected = { encoded: string; why: string };
const vectorsFile = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../shared/vectors/passwords.json"), "utf8")) as {
  vectors: Vector[];
  rejected: Rejected[];
};

let app: TestApp;
let api: Client;
let refs: DemoRefs;
const secrets = new Set<string>([FIXED.workerSecret]);

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
});
afterAll(async () => {
  // JSON.stringify of every response (and its headers) never held a password or a stored value.
  api?.expectNoLeak(secrets);
  await app?.close();
});

const body = (password: unknown, over: Record<string, unknown> = {}) => ({
  username: uniqueName("pw"),
  population: { id: refs.defaultPopulationId },
  password: { value: password },
  ...over,
});

/** Parses m, t, p of an argon2id PHC string (in whatever order the parameters are written). */
function argon2Params(phc: string) {
  const m = /^\$argon2id\$v=19\$([a-z]=\d+(?:,[a-z]=\d+)*)\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{22,}$/.exec(phc);
  if (!m) throw new Error("not an argon2id PHC string");
  const params = Object.fromEntries(m[1]!.split(",").map((kv) => kv.split("=") as [string, string]));
  expect(Object.keys(params).sort()).toEqual(["m", "p", "t"]);
  return { m: Number(params.m), t: Number(params.t), p: Number(params.p) };
}

describe("pre-encoded vectors (3.2)", () => {
  it("has vectors to run", () => {
    expect(vectorsFile.vectors.length).toBeGreaterThan(20);
    expect(vectorsFile.rejected.length).toBeGreaterThan(5);
  });

  it("imports every accepted vector with 201 and stores it exactly as given", async () => {
    for (const v of vectorsFile.vectors) {
      secrets.add(v.encoded).add(v.password);
      const res = await api.postUser(body(v.encoded));
      expect(res.status, `${v.form} by ${v.madeBy}: ${res.text}`).toBe(201);
      expect(res.body).not.toHaveProperty("password");
      const row = await app.passwordRow(res.body.id);
      expect(row?.passwordHash, v.form).toBe(v.encoded);
      expect(row?.passwordStatus).toBe("OK");
    }
  });

  it("keeps a stored vector verifiable with its password, and only with it", async () => {
    // A sample across families (the full matrix is lib/passwords' unit tests): the stored value
    // is the one that was sent, usable by Check Password later.
    const sample = ["{SSHA}", "{PBKDF2-SHA256}", "$2b$", "$6$", "$argon2id$"].map((form) => vectorsFile.vectors.find((v) => v.form === form)!);
    for (const v of sample) {
      const res = await api.postUser(body(v.encoded));
      const stored = (await app.passwordRow(res.body.id))!.passwordHash!;
      expect(await verifyPassword(stored, v.password), v.form).toBe(true);
      expect(await verifyPassword(stored, v.password + "!"), v.form).toBe(false);
    }
  });

  it("refuses every rejected vector with 400 on password.value, without echoing it", async () => {
    for (const r of vectorsFile.rejected) {
      secrets.add(r.encoded);
      const before = await app.countUsers();
      const res = await api.postUser(body(r.encoded));
      const e = expectInvalidData(res, [["INVALID_VALUE", "password.value"]]);
      expect(res.text, r.why).not.toContain(JSON.stringify(r.encoded).slice(1, -1));
      expect(e.details![0]!.message.length).toBeGreaterThan(0);
      expect(await app.countUsers(), r.why).toBe(before);
    }
  });

  it("refuses values that start with { or $ but name no known scheme (our choice)", async () => {
    for (const value of ["{sha}", "{SSHA}", "{ssha256}AAAA", "$2b$", "$secretpassword", "{curly-cleartext}", "{SCRYPT_RFC7914}abc", "$y$j9T$abc"]) {
      expectInvalidData(await api.postUser(body(value)), [["INVALID_VALUE", "password.value"]]);
    }
    // Brace contents that do not look like a scheme name are not echoed.
    for (const value of ["{my secret!}xyz", "{ pass word }", "$not a scheme$rest"]) {
      secrets.add(value);
      const res = await api.postUser(body(value));
      expectInvalidData(res, [["INVALID_VALUE", "password.value"]]);
      expect(res.text).not.toContain(value.slice(1, 10));
    }
  });

  it("treats a scheme name in braces case-insensitively, as OpenLDAP does", async () => {
    const v = vectorsFile.vectors.find((x) => x.form === "{SSHA}")!;
    const lower = "{ssha}" + v.encoded.slice("{SSHA}".length);
    const res = await api.postUser(body(lower));
    expect(res.status, res.text).toBe(201);
    expect((await app.passwordRow(res.body.id))?.passwordHash).toBe(lower);
  });
});

describe("second-wave vectors (3.2, second table) and cost limits", () => {
  it("imports every second-wave and extra vector with 201 and stores it exactly as given", async () => {
    expect(SECOND_WAVE.length).toBe(46);
    for (const v of [...SECOND_WAVE, ...EXTRA]) {
      // One-letter test passwords would "leak" through any response that holds that letter.
      secrets.add(v.encoded);
      if (v.password.length >= 8) secrets.add(v.password);
      const res = await api.postUser(body(v.encoded));
      expect(res.status, `${v.form} by ${v.madeBy}: ${res.text}`).toBe(201);
      const row = await app.passwordRow(res.body.id);
      expect(row?.passwordHash, v.form).toBe(v.encoded);
      expect(row?.passwordStatus).toBe("OK");
    }
  });

  it("refuses every second-wave rejected vector with 400 on password.value, naming the limit where one is passed", async () => {
    for (const r of SECOND_WAVE_REJECTED) {
      secrets.add(r.encoded);
      const before = await app.countUsers();
      const res = await api.postUser(body(r.encoded));
      const e = expectInvalidData(res, [["INVALID_VALUE", "password.value"]]);
      expect(res.text, r.why).not.toContain(r.encoded);
      if (/cost|rounds|GiB/.test(r.why)) expect(e.details![0]!.message, r.why).toMatch(/limit of \d+( MiB)? \(PASSWORD_MAX_[A-Z0-9_]+\)/);
      expect(await app.countUsers(), r.why).toBe(before);
    }
  });

  it("refuses a well-formed hash over a limit at Set Password too, with the same sentence", async () => {
    const created = await api.postUser({ username: uniqueName("pw"), population: { id: refs.defaultPopulationId } });
    expect(created.status, created.text).toBe(201);
    const hostile = "$argon2id$v=19$m=19456,t=4294967295,p=1$Z4WtOq25LcJW0QxCi+a9OA$YeCxDyb1X5WNPloKTsU5U1hVCPu43kTFuqofrHPbCMw";
    const res = await api.request(`/environments/${FIXED.demoEnvId}/users/${created.body.id}/password`, {
      method: "PUT",
      headers: { "content-type": "application/vnd.pingidentity.password.set+json" },
      body: JSON.stringify({ value: hostile }),
    });
    const e = expectInvalidData(res, [["INVALID_VALUE", "value"]]);
    expect(e.details![0]!.message).toContain("PASSWORD_MAX_ARGON2_PASSES");
    expect((await app.passwordRow(created.body.id))?.passwordStatus).toBe("NO_PASSWORD");
  });

  it("treats Django- and Werkzeug-looking prefixes as pre-encoded: malformed ones are refused, not stored as cleartext", async () => {
    for (const value of ["sha1$nosalt", "md5$salt$xyz", "argon2$argon2id$", "bcrypt$$2b$", "bcrypt_sha256$", "pbkdf2:sha256$salt$abc", "pbkdf2:sha256:1000$salt"]) {
      secrets.add(value);
      expectInvalidData(await api.postUser(body(value)), [["INVALID_VALUE", "password.value"]]);
    }
  });
});

describe("cleartext (3.1)", () => {
  it("stores cleartext as argon2id with at least OWASP's parameters, verifiable with the password", async () => {
    const password = "Cleartext-" + randomBytes(6).toString("hex");
    secrets.add(password);
    const res = await api.postUser(body(password));
    expect(res.status, res.text).toBe(201);
    const row = await app.passwordRow(res.body.id);
    const stored = row!.passwordHash!;
    secrets.add(stored);
    expect(stored.startsWith("$argon2id$")).toBe(true);
    const { m, t, p } = argon2Params(stored);
    expect(m).toBeGreaterThanOrEqual(19456);
    expect(t).toBeGreaterThanOrEqual(2);
    expect(p).toBeGreaterThanOrEqual(1);
    expect(stored).not.toContain(password);
    expect(await verifyPassword(stored, password)).toBe(true);
    expect(await verifyPassword(stored, password.toUpperCase())).toBe(false);
    expect(row!.passwordStatus).toBe("OK");
  });

  it("salts: the same cleartext gives different stored values", async () => {
    const password = "Same-cleartext-twice-1";
    secrets.add(password);
    const a = await api.postUser(body(password));
    const b = await api.postUser(body(password));
    const ha = (await app.passwordRow(a.body.id))!.passwordHash!;
    const hb = (await app.passwordRow(b.body.id))!.passwordHash!;
    secrets.add(ha).add(hb);
    expect(ha).not.toBe(hb);
  });

  it("accepts unicode cleartext and counts its length in characters", async () => {
    const password = "пароль-密码-🔑🔑";
    secrets.add(password);
    const res = await api.postUser(body(password));
    expect(res.status, res.text).toBe(201);
    expect(await verifyPassword((await app.passwordRow(res.body.id))!.passwordHash!, password)).toBe(true);
    // Seven characters, but 19 UTF-8 bytes: too short.
    secrets.add("密码密码密码🔑");
    expectInvalidData(await api.postUser(body("密码密码密码🔑")), [["INVALID_VALUE", "password.value"]]);
  });
});

describe("password policy (3.3) and its place after uniqueness (rules 8, 9)", () => {
  it("refuses cleartext shorter than 8 or longer than 255 characters", async () => {
    secrets.add("Short-7");
    for (const password of ["", "a", "Short-7"]) {
      const res = await api.postUser(body(password));
      const e = expectInvalidData(res, [[password === "" ? "EMPTY_VALUE" : "INVALID_VALUE", "password.value"]]);
      if (password) expect(e.message).toMatch(/8/);
    }
    const tooLong = "L".repeat(256);
    expectInvalidData(await api.postUser(body(tooLong)), [["INVALID_VALUE", "password.value"]]);
    for (const password of ["Eight-88", "L".repeat(255)]) {
      secrets.add(password);
      expect((await api.postUser(body(password))).status).toBe(201);
    }
  });

  it("refuses cleartext equal to the username or the email, ignoring case", async () => {
    const username = uniqueName("Same-As-Username");
    secrets.add(username.toLowerCase());
    const e = expectInvalidData(await api.postUser(body(username.toLowerCase(), { username })), [["INVALID_VALUE", "password.value"]]);
    expect(e.message).toMatch(/username/i);
    const email = "Policy.Person@example.com";
    const e2 = expectInvalidData(await api.postUser(body("policy.person@EXAMPLE.com", { email })), [["INVALID_VALUE", "password.value"]]);
    expect(e2.message).toMatch(/email/i);
  });

  it("lets pre-encoded values bypass the policy", async () => {
    // {SSHA} of "abc", made here with node's crypto: three characters, equal to the username.
    const salt = randomBytes(8);
    const encoded = "{SSHA}" + Buffer.concat([createHash("sha1").update("abc").update(salt).digest(), salt]).toString("base64");
    secrets.add(encoded);
    const res = await api.postUser({ username: "abc", population: { id: refs.defaultPopulationId }, password: { value: encoded } });
    expect(res.status, res.text).toBe(201);
    const stored = (await app.passwordRow(res.body.id))!.passwordHash!;
    expect(stored).toBe(encoded);
    expect(await verifyPassword(stored, "abc")).toBe(true);
    // The same password in cleartext is refused.
    expectInvalidData(await api.postUser({ username: "abcd-other", population: { id: refs.defaultPopulationId }, password: { value: "abc" } }), [
      ["INVALID_VALUE", "password.value"],
    ]);
  });

  it("reports a taken username before a policy violation", async () => {
    const username = uniqueName("Taken");
    const first = await api.postUser(body("First-user-pass-1", { username }));
    secrets.add("First-user-pass-1");
    expect(first.status).toBe(201);
    const before = await app.countUsers();
    for (const weak of ["short", username.toUpperCase()]) {
      const e = expectInvalidData(await api.postUser(body(weak, { username: username.toUpperCase() })), [["UNIQUENESS_VIOLATION", "username"]]);
      expect(e.details![0]!.innerError).toEqual({ existingId: first.body.id });
    }
    // And with a good password: still the uniqueness error, nothing stored.
    expectInvalidData(await api.postUser(body("A-good-password-1", { username })), [["UNIQUENESS_VIOLATION", "username"]]);
    expect(await app.countUsers()).toBe(before);
  });

  it("checks the policy after references (rule 6 before 9)", async () => {
    expectInvalidData(await api.postUser(body("short", { population: { id: "00000000-0000-4000-8000-000000000000" } })), [["INVALID_VALUE", "population.id"]]);
  });

  it("never puts the refused password in the error", async () => {
    const password = "Pw-" + randomBytes(2).toString("hex");
    const res = await api.postUser(body(password));
    expectInvalidData(res, [["INVALID_VALUE", "password.value"]]);
    expect(res.text).not.toContain(password);
  });
});

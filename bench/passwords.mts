/**
 * Password verification speed (issue 11): verifications per second for each family at the
 * default parameters of the tool that makes it (the shared vectors), through verifyPassword
 * (parse, limits, the check pool for slow families), beside the same primitive called directly
 * on the main thread in the same run, rounds interleaved so that both see the same machine.
 * Where libxcrypt implements the form too, its crypt(3) is shown for reference. The bench runs
 * at nice 10, as the checker processes do, so that both sides get the same share of a busy
 * machine.
 *
 *   npm run bench:passwords [-- --ms 1500] [-- --only yescrypt]
 */
import { createCipheriv, createHash, createHmac, pbkdf2Sync, scryptSync, timingSafeEqual } from "node:crypto";
import os from "node:os";

import { verify as argon2Verify } from "argon2";
import bcryptjs from "bcryptjs";

import { closePasswordChecks, passwordSettings, verifyPassword } from "../lib/passwords";
import { crypt64Value, encodeCrypt64 } from "../lib/passwords/codec";
import { md5Crypt } from "../lib/passwords/families/md5-crypt";
import { shaCrypt } from "../lib/passwords/families/sha-crypt";
import { loadXcrypt } from "../lib/passwords/native";
import { nodePrimitives } from "../lib/passwords/node-primitives";
import { FIRST_WAVE, SECOND_WAVE } from "../lib/passwords/testdata/vectors";

const args = process.argv.slice(2);
const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const MIN_MS = Number(option("--ms") ?? 1500);
const ONLY = option("--only");
const ROUNDS = 5;

type Check = () => boolean | Promise<boolean>;
type Case = { family: string; form: string; stored: string; password: string; direct: Check; reference?: Check };

const xcrypt = loadXcrypt(passwordSettings().xcryptAddon);
const b64 = (s: string) => Buffer.from(s, "base64");
const ab64 = (s: string) => Buffer.from(s.replace(/\./g, "+"), "base64");
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);
const viaCrypt = (stored: string, password: string): Check | undefined =>
  xcrypt ? () => xcrypt.crypt(Buffer.from(password), stored) === stored : undefined;

function vector(form: string, wave = SECOND_WAVE, password = "correct horse battery staple") {
  const v = wave.find((x) => x.form === form && x.password === password) ?? wave.find((x) => x.form === form);
  if (!v) throw new Error(`no vector for ${form}`);
  return v;
}

function cases(): Case[] {
  const list: Case[] = [];
  const add = (family: string, form: string, wave: typeof SECOND_WAVE, direct: (stored: string, pw: string) => Check, reference?: (stored: string, pw: string) => Check | undefined) => {
    const v = vector(form, wave);
    list.push({ family, form, stored: v.encoded, password: v.password, direct: direct(v.encoded, v.password), reference: reference?.(v.encoded, v.password) });
  };

  add("salted SHA", "{SSHA}", FIRST_WAVE, (s, pw) => {
    const raw = b64(s.slice(6));
    return () => same(createHash("sha1").update(pw).update(raw.subarray(20)).digest(), raw.subarray(0, 20));
  });
  add("salted SHA", "{SSHA512}", FIRST_WAVE, (s, pw) => {
    const raw = b64(s.slice(9));
    return () => same(createHash("sha512").update(pw).update(raw.subarray(64)).digest(), raw.subarray(0, 64));
  });
  add("PBKDF2 (OpenLDAP)", "{PBKDF2-SHA256}", FIRST_WAVE, (s, pw) => {
    const [it, salt, key] = s.slice(15).split("$") as [string, string, string];
    return () => same(pbkdf2Sync(pw, ab64(salt), Number(it), 32, "sha256"), ab64(key));
  });
  add("PBKDF2 (Django)", "pbkdf2_sha256$", FIRST_WAVE, (s, pw) => {
    const [, it, salt, key] = s.split("$") as [string, string, string, string];
    return () => same(pbkdf2Sync(pw, salt, Number(it), 32, "sha256"), b64(key));
  });
  add("bcrypt", "$2b$", FIRST_WAVE, (s, pw) => () => bcryptjs.compareSync(pw, s), viaCrypt);
  add("Argon2 (ours or cheaper: inline)", "$argon2id$", FIRST_WAVE, (s, pw) => () => argon2Verify(s, pw));
  add("Argon2 (pool)", "{ARGON2}", FIRST_WAVE, (s, pw) => () => argon2Verify(s.slice(8), pw));
  add("SHA-crypt", "$6$", FIRST_WAVE, (s, pw) => {
    const [, , salt, hash] = s.split("$") as [string, string, string, string];
    return () => shaCrypt(nodePrimitives, "sha512", Buffer.from(pw), Buffer.from(salt), 5000) === hash;
  }, viaCrypt);
  add("SHA-crypt", "$5$", FIRST_WAVE, (s, pw) => {
    const [, , salt, hash] = s.split("$") as [string, string, string, string];
    return () => shaCrypt(nodePrimitives, "sha256", Buffer.from(pw), Buffer.from(salt), 5000) === hash;
  }, viaCrypt);
  add("MD5-crypt", "$1$", FIRST_WAVE, (s, pw) => {
    const [, , salt, hash] = s.split("$") as [string, string, string, string];
    return () => md5Crypt(nodePrimitives, "$1$", Buffer.from(pw), Buffer.from(salt)) === hash;
  }, viaCrypt);
  add("yescrypt", "$y$", SECOND_WAVE, (s, pw) => viaCrypt(s, pw)!);
  add("yescrypt", "$gy$", SECOND_WAVE, (s, pw) => viaCrypt(s, pw)!);
  add("scrypt (libxcrypt)", "$7$", SECOND_WAVE, (s, pw) => {
    const body = s.slice(3, s.lastIndexOf("$"));
    const N = 2 ** crypt64Value(body[0]);
    const r = [...body.slice(1, 6)].reduce((acc, c, i) => acc + crypt64Value(c) * 64 ** i, 0);
    const salt = body.slice(11);
    const hash = s.slice(s.lastIndexOf("$") + 1);
    return () => encodeCrypt64(scryptSync(pw, salt, 32, { N, r, p: 1, maxmem: 2 ** 30 })) === hash;
  }, viaCrypt);
  add("scrypt (passlib)", "$scrypt$", SECOND_WAVE, (s, pw) => {
    const [, , , salt, key] = s.split("$") as [string, string, string, string, string];
    return () => same(scryptSync(pw, b64(salt), 32, { N: 2 ** 14, r: 8, p: 1, maxmem: 2 ** 30 }), b64(key));
  });
  add("Firebase scrypt", "$firescrypt$", SECOND_WAVE, (s, pw) => {
    const [, , , salt, hash, sep, key] = s.split("$") as string[];
    return () => {
      const derived = scryptSync(pw, Buffer.concat([b64(salt!), b64(sep!)]), 32, { N: 2 ** 14, r: 8, p: 1, maxmem: 2 ** 30 });
      const c = createCipheriv("aes-256-ctr", derived, Buffer.alloc(16));
      return same(Buffer.concat([c.update(b64(key!)), c.final()]), b64(hash!));
    };
  });
  add("Apache MD5", "$apr1$", SECOND_WAVE, (s, pw) => {
    const [, , salt, hash] = s.split("$") as [string, string, string, string];
    return () => md5Crypt(nodePrimitives, "$apr1$", Buffer.from(pw), Buffer.from(salt)) === hash;
  });
  add("phpass", "$P$", SECOND_WAVE, (s, pw) => {
    const rounds = 2 ** crypt64Value(s[3]);
    const salt = s.slice(4, 12);
    return () => {
      let d = createHash("md5").update(salt).update(pw).digest();
      for (let i = 0; i < rounds; i++) d = createHash("md5").update(d).update(pw).digest();
      return encodeCrypt64(d) === s.slice(12);
    };
  });
  add("SHA1-crypt", "$sha1$", SECOND_WAVE, (s, pw) => {
    const [, , rounds, salt, hash] = s.split("$") as [string, string, string, string, string];
    const order = [2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 14, 13, 12, 17, 16, 15, 0, 19, 18];
    return () => {
      let r: Buffer = Buffer.from(`${salt}$sha1$${rounds}`);
      for (let i = 0; i < Number(rounds); i++) r = createHmac("sha1", pw).update(r).digest();
      return encodeCrypt64(Uint8Array.from(order, (o) => r[o]!)) === hash;
    };
  });
  add("PBKDF2 (passlib)", "$pbkdf2-sha256$", SECOND_WAVE, (s, pw) => {
    const [, , it, salt, key] = s.split("$") as [string, string, string, string, string];
    return () => same(pbkdf2Sync(pw, ab64(salt), Number(it), 32, "sha256"), ab64(key));
  });
  add("PBKDF2 (Atlassian)", "{PKCS5S2}", SECOND_WAVE, (s, pw) => {
    const raw = b64(s.slice(9));
    return () => same(pbkdf2Sync(pw, raw.subarray(0, 16), 10_000, 32, "sha1"), raw.subarray(16));
  });
  add("PBKDF2 (Werkzeug)", "pbkdf2:sha256", SECOND_WAVE, (s, pw) => {
    const [method, salt, hex] = s.split("$") as [string, string, string];
    return () => pbkdf2Sync(pw, salt, Number(method.split(":")[2]), 32, "sha256").toString("hex") === hex;
  });
  add("Django argon2", "argon2$", SECOND_WAVE, (s, pw) => () => argon2Verify(s.slice("argon2".length), pw));
  add("Django bcrypt_sha256", "bcrypt_sha256$", SECOND_WAVE, (s, pw) => () => bcryptjs.compareSync(createHash("sha256").update(pw).digest("hex"), s.slice(14)));
  add("Django sha1", "sha1$", SECOND_WAVE, (s, pw) => {
    const [, salt, hex] = s.split("$") as [string, string, string];
    const expected = Buffer.from(hex, "hex");
    return () => same(createHash("sha1").update(salt).update(pw).digest(), expected);
  });
  add("Argon2d", "$argon2d$", SECOND_WAVE, (s, pw) => () => argon2Verify(s, pw));
  return ONLY ? list.filter((c) => c.family.toLowerCase().includes(ONLY.toLowerCase()) || c.form.includes(ONLY)) : list;
}

/** Calls `fn` one after the other for at least `ms`; returns calls and seconds. */
async function run(fn: Check, ms: number): Promise<{ calls: number; seconds: number }> {
  let calls = 0;
  const start = performance.now();
  do {
    if (!(await fn())) throw new Error("a verification failed");
    calls++;
  } while (performance.now() - start < ms || calls < 3);
  return { calls, seconds: (performance.now() - start) / 1000 };
}

async function measure(c: Case) {
  const ours: Check = () => verifyPassword(c.stored, c.password);
  // Warm up both (the first pool check starts a worker thread).
  await ours();
  await c.direct();
  const totals = { ours: { calls: 0, seconds: 0 }, direct: { calls: 0, seconds: 0 }, reference: { calls: 0, seconds: 0 } };
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, fn] of [["ours", ours], ["direct", c.direct], ["reference", c.reference]] as const) {
      if (!fn) continue;
      const r = await run(fn, MIN_MS / ROUNDS);
      totals[name].calls += r.calls;
      totals[name].seconds += r.seconds;
    }
  }
  const rate = (t: { calls: number; seconds: number }) => (t.calls ? t.calls / t.seconds : NaN);
  return { ours: rate(totals.ours), direct: rate(totals.direct), reference: rate(totals.reference) };
}

const fmt = (n: number) => (Number.isNaN(n) ? "" : n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));

async function main() {
  os.setPriority(10);
  const s = passwordSettings();
  console.log(`password verification, ${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(1)}; ${s.checkConcurrency} checker process(es); one verification at a time; nice 10 on both sides`);
  console.log(`libxcrypt addon: ${xcrypt ? "loaded" : "missing (yescrypt skipped)"}\n`);
  const rows: string[][] = [["family", "form", "verifyPassword /s", "primitive directly /s", "ratio", "libxcrypt crypt(3) /s"]];
  let worst = Infinity;
  for (const c of cases()) {
    if (!xcrypt && c.family === "yescrypt") continue;
    const r = await measure(c);
    const ratio = r.ours / r.direct;
    worst = Math.min(worst, ratio);
    rows.push([c.family, "`" + c.form + "`", fmt(r.ours), fmt(r.direct), ratio.toFixed(2), fmt(r.reference)]);
    process.stderr.write(".");
  }
  process.stderr.write("\n");
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => "| " + row.map((cell, i) => (i >= 2 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join(" | ") + " |";
  console.log(line(rows[0]!));
  console.log("|" + widths.map((w, i) => (i >= 2 ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|");
  for (const row of rows.slice(1)) console.log(line(row));
  console.log(`\nlowest ratio: ${worst.toFixed(2)} (target: 0.9 or more)`);
  await closePasswordChecks();
}

await main();

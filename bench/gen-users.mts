/**
 * gen:users — writes a bulk import test file.
 *
 *   npm run gen:users -- --rows N [--cleartext] [--format csv|ndjson] [--prefix user] [--out file]
 *
 * Pre-encoded (default): every row carries a password hash as a legacy directory would export it,
 * alternating bcrypt and {SSHA512} (made fresh per row, cheap: bcrypt at cost 4). Cleartext: a
 * random password per row, which the import hashes with argon2id. Writes to stdout without --out.
 */
import fs from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const rows = Number(opt("rows") ?? 1000);
const cleartext = args.includes("--cleartext");
const format = (opt("format") ?? "csv") as "csv" | "ndjson";
const prefix = opt("prefix") ?? `user-${randomBytes(3).toString("hex")}`;
const out = opt("out");
if (!Number.isInteger(rows) || rows < 0) throw new Error("--rows must be a whole number");

// A handful of bcrypt hashes reused across rows: bcrypt costs milliseconds even at cost 4.
const bcryptPool = Array.from({ length: 16 }, (_, i) => bcrypt.hashSync(`password-${i}`, 4));
function ssha512(password: string): string {
  const salt = randomBytes(8);
  return "{SSHA512}" + Buffer.concat([createHash("sha512").update(password).update(salt).digest(), salt]).toString("base64");
}

const given = ["Ann", "Bob", "Chloé", "Dmitri", "Eun-ji", "Fatima", "Gustav", "Hana", "Ivo", "Jun"];
const family = ["Lee", "Müller", "O'Brien", "Nakamura", "Silva", "Kowalski", "Nguyen", "Smith"];

function password(i: number): string {
  if (cleartext) return randomBytes(12).toString("base64url");
  return i % 2 === 0 ? bcryptPool[i % bcryptPool.length]! : ssha512(`password-${i}`);
}

const sink = out ? fs.createWriteStream(out) : process.stdout;
let buffer = format === "csv" ? "username,email,name.given,name.family,password\n" : "";
const flush = () => new Promise<void>((resolve) => (sink.write(buffer) ? resolve() : sink.once("drain", resolve)));
for (let i = 0; i < rows; i++) {
  const username = `${prefix}-${i}`;
  const g = given[i % given.length]!;
  const f = family[i % family.length]!;
  const pw = password(i);
  buffer +=
    format === "csv"
      ? `${username},${username}@example.com,${g},${f.includes(",") || f.includes('"') ? `"${f.replace(/"/g, '""')}"` : f},${pw}\n`
      : JSON.stringify({ username, email: `${username}@example.com`, name: { given: g, family: f }, password: { value: pw } }) + "\n";
  if (buffer.length > 1 << 20) {
    await flush();
    buffer = "";
  }
}
await flush();
if (out) await new Promise<void>((resolve) => (sink as fs.WriteStream).end(resolve));
if (out) console.error(`wrote ${rows} ${cleartext ? "cleartext" : "pre-encoded"} rows to ${out}`);

/**
 * bench:ldif — the LDIF reader (lib/ldif/reader.ts) over a generated 1,000,000-entry file,
 * streamed: entries/s and the peak of the heap and RSS, sampled while it reads, beside a bare
 * pass over the same bytes that only counts newlines (the floor of any reader).
 *
 *   npm run bench:ldif [-- --entries 1000000]
 *
 * Entries look like slapcat's: a dozen attributes, a folded description, a base64 value and an
 * {SSHA} userPassword. The file is made on the fly in 64 KiB chunks, never held whole.
 * Prints figures; asserts nothing.
 */
import { readLdif } from "../lib/ldif/reader";

const args = process.argv.slice(2);
const i = args.indexOf("--entries");
const ENTRIES = i >= 0 ? Number(args[i + 1]) : 1_000_000;

function entry(n: number): string {
  const name = n % 7 === 0 ? `Zoë Ångström ${n}` : `User Number ${n}`;
  const cn = /^[\x20-\x7e]*$/.test(name) ? `cn: ${name}` : `cn:: ${Buffer.from(name).toString("base64")}`;
  return [
    `dn: uid=user${n},ou=people,dc=example,dc=com`,
    "objectClass: inetOrgPerson",
    `uid: user${n}`,
    cn,
    `sn: Number ${n}`,
    `givenName: User`,
    `mail: user${n}@example.com`,
    `mail: u${n}@mail.example.com`,
    `telephoneNumber: +1 555 ${String(n % 10000).padStart(4, "0")}`,
    `employeeNumber: ${n}`,
    "description: A description long enough that slapcat folds it at seventy-six col",
    " umns, as every entry of a real export has",
    `userPassword:: ${Buffer.from("{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=").toString("base64")}`,
    `entryUUID: 00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    "",
    "",
  ].join("\n");
}

async function* file(): AsyncGenerator<Uint8Array> {
  const enc = new TextEncoder();
  let buf = "";
  for (let n = 0; n < ENTRIES; n++) {
    buf += entry(n);
    if (buf.length >= 64 * 1024) {
      yield enc.encode(buf);
      buf = "";
    }
  }
  if (buf) yield enc.encode(buf);
}

// Sampled from inside the loops: they never leave the event loop long enough for a timer.
const peak = { heap: 0, rss: 0 };
function sample() {
  const m = process.memoryUsage();
  peak.heap = Math.max(peak.heap, m.heapUsed);
  peak.rss = Math.max(peak.rss, m.rss);
}

async function measure(label: string, work: () => Promise<number>) {
  peak.heap = 0;
  peak.rss = 0;
  const started = performance.now();
  const count = await work();
  const seconds = (performance.now() - started) / 1000;
  console.log(`${label}: ${count.toLocaleString()} in ${seconds.toFixed(1)} s, ${Math.round(count / seconds).toLocaleString()}/s; peak heap ${(peak.heap / 2 ** 20).toFixed(0)} MiB, peak RSS ${(peak.rss / 2 ** 20).toFixed(0)} MiB`);
  return count / seconds;
}

async function main() {
  const bare = await measure("bare newline count of the same bytes (entries)", async () => {
    const perEntry = entry(0).split("\n").length - 1;
    let newlines = 0;
    let chunks = 0;
    for await (const chunk of file()) {
      for (const b of chunk) if (b === 10) newlines++;
      if (++chunks % 64 === 0) sample();
    }
    return Math.round(newlines / perEntry);
  });
  const ours = await measure("readLdif", async () => {
    let n = 0;
    let errors = 0;
    for await (const item of readLdif(file())) {
      if (item.type === "entry") n++;
      else errors++;
      if ((n + errors) % 5000 === 0) sample();
    }
    if (errors) console.log(`  (${errors} error records)`);
    return n;
  });
  console.log(`ratio: ${(ours / bare).toFixed(2)} of the bare pass`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

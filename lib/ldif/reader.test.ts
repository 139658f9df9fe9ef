/**
 * The LDIF reader (spec 9.2) against files made by another implementation: slapcat and
 * ldapsearch -L / -LLL from a real slapd (unicode and base64 values, multi-valued attributes,
 * long folded values, binary values), checked against what ldapts reads from the same server;
 * an ldifde-style sample in UTF-8 and UTF-16LE; and the records it must refuse one by one.
 * Then the mapping of entries to user bodies (lib/gateways/mapping.ts), validated by the user schema.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directoryEntryToUser, DEFAULT_ATTRIBUTE_MAPPINGS } from "@/lib/gateways/mapping";
import { userImportSchema } from "@/lib/users/schema";
import { PEOPLE, removeSlapd, ROOT_DN, startSlapd, SUFFIX, type Slapd } from "../../test/support/slapd";
import { ldifBytes, readLdif, type LdifEntry, type LdifItem } from "./reader";

const LONG = "A description long enough that every LDIF writer folds it: " + "the quick brown fox jumps over the lazy dog; ".repeat(8);
const PHOTO = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01, 0x80, 0x81, 0xfe]);

let ldap: Slapd;

async function collect(input: AsyncIterable<Uint8Array>, opts?: Parameters<typeof readLdif>[1]): Promise<LdifItem[]> {
  const out: LdifItem[] = [];
  for await (const item of readLdif(input, opts)) out.push(item);
  return out;
}
const entries = (items: LdifItem[]) => items.filter((i): i is LdifEntry => i.type === "entry");
const values = (e: LdifEntry, name: string) => Object.entries(e.attributes).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

/** In chunks of `size` bytes, to cut lines, folds, base64 and UTF-8 sequences anywhere. */
async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

function ldapsearch(flag: "-L" | "-LLL", as: { dn: string; password: string }): string {
  const r = spawnSync("ldapsearch", ["-x", flag, "-H", `ldap://${ldap.server}`, "-D", as.dn, "-w", as.password, "-b", SUFFIX, "(objectClass=*)", "*"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

beforeAll(async () => {
  ldap = await startSlapd({
    users: [
      {
        uid: "ada",
        password: "Ada-pass-1",
        cn: "Ada Lovelace",
        givenName: "Ada",
        sn: "Lovelace",
        mail: ["ada@example.com", "ada.lovelace@example.com"],
        extra: { description: LONG, telephoneNumber: "+44 20 7946 0000", employeeNumber: "1815" },
      },
      { uid: "zoe", password: "Zoe-pass-1", cn: "Zoë Ångström", givenName: "Zoë", sn: "Ångström", mail: "zoe@example.com", extra: { description: [" starts with a space", "<not a url", ":colon first"] } },
      { uid: "val", password: "Val-pass-1", branch: "vault", mail: "val@example.com" },
    ],
    ldif: `dn: uid=pic,${PEOPLE}\nobjectClass: inetOrgPerson\nuid: pic\ncn: Picture\nsn: Picture\njpegPhoto:: ${PHOTO.toString("base64")}\n`,
  });
});

afterAll(async () => {
  await removeSlapd(ldap);
});

describe("files made by slapd's own tools", () => {
  async function groundTruth() {
    const c = await ldap.rootClient();
    try {
      const { searchEntries } = await c.search(SUFFIX, { scope: "sub", filter: "(objectClass=*)", attributes: ["*"], explicitBufferAttributes: ["jpegPhoto"] });
      return searchEntries;
    } finally {
      await c.unbind();
    }
  }

  for (const source of ["slapcat", "ldapsearch -L", "ldapsearch -LLL"] as const) {
    it(`reads ${source} output as ldapts reads the directory, in chunks of any size`, async () => {
      const text = source === "slapcat" ? ldap.slapcat() : ldapsearch(source === "ldapsearch -L" ? "-L" : "-LLL", { dn: ROOT_DN, password: ldap.rootPassword });
      expect(text).toMatch(/^ \S/m); // folded lines are there
      expect(text).toMatch(/^\w+:: /m); // and base64 values
      const truth = await groundTruth();
      for (const size of [1, 7, 4096, 1 << 20]) {
        const items = await collect(chunked(new TextEncoder().encode(text), size));
        expect(items.filter((i) => i.type === "error")).toEqual([]);
        const byDn = new Map(entries(items).map((e) => [e.dn.toLowerCase(), e]));
        expect(byDn.size).toBe(truth.length);
        for (const t of truth) {
          const e = byDn.get(t.dn.toLowerCase());
          expect(e, t.dn).toBeDefined();
          for (const [name, raw] of Object.entries(t)) {
            if (name === "dn") continue;
            const expected = (Array.isArray(raw) ? raw : [raw]).map((v) => (Buffer.isBuffer(v) ? v.toString("base64") : v));
            const got = (values(e!, name) ?? []).map((v) => (Buffer.isBuffer(v) ? v.toString("base64") : v));
            expect(got, `${t.dn} ${name}`).toEqual(expected);
          }
        }
      }
      // Each record's first line number is its dn line.
      const lines = text.split("\n");
      for (const e of entries(await collect(ldifBytes(text)))) expect(lines[e.line - 1]).toMatch(/^dn::? /);
    });
  }

  it("keeps unicode, a long folded value, several values, a binary value and base64 forced by a first character", async () => {
    const items = entries(await collect(ldifBytes(ldap.slapcat())));
    const ada = items.find((e) => e.dn === `uid=ada,${PEOPLE}`)!;
    expect(values(ada, "mail")).toEqual(["ada@example.com", "ada.lovelace@example.com"]);
    expect(values(ada, "description")).toEqual([LONG]);
    expect(String(values(ada, "userPassword")![0])).toMatch(/^\{SSHA\}/);
    const zoe = items.find((e) => e.dn === `uid=zoe,${PEOPLE}`)!;
    expect(values(zoe, "cn")).toEqual(["Zoë Ångström"]);
    expect(values(zoe, "description")).toEqual([" starts with a space", "<not a url", ":colon first"]);
    const pic = items.find((e) => e.dn === `uid=pic,${PEOPLE}`)!;
    expect(Buffer.isBuffer(values(pic, "jpegPhoto")![0])).toBe(true);
    expect((values(pic, "jpegPhoto")![0] as Buffer).equals(PHOTO)).toBe(true);
  });
});

const LDIFDE = [
  "dn: CN=Ada Lovelace,OU=Staff,DC=corp,DC=example,DC=com",
  "changetype: add",
  "objectClass: top",
  "objectClass: person",
  "objectClass: organizationalPerson",
  "objectClass: user",
  "cn: Ada Lovelace",
  "sn: Lovelace",
  "givenName: Ada",
  "distinguishedName: CN=Ada Lovelace,OU=Staff,DC=corp,DC=example,DC=com",
  "displayName: Ada Lovelace",
  "description: Analyst of the Analytical Engine, first to publish an algorithm inte",
  " nded for it",
  "sAMAccountName: ada",
  "userPrincipalName: ada@corp.example.com",
  "mail: ada@corp.example.com",
  "objectGUID:: 7VTk/WKc4k+4pRhgzNsm+A==",
  "",
  "dn: CN=Charles Babbage,OU=Staff,DC=corp,DC=example,DC=com",
  "changetype: add",
  "objectClass: user",
  "cn: Charles Babbage",
  "sAMAccountName: charles",
  "",
].join("\r\n");

describe("an ldifde-style export (Active Directory)", () => {
  const check = (items: LdifItem[]) => {
    expect(items.filter((i) => i.type === "error")).toEqual([]);
    const [ada, charles] = entries(items);
    expect(ada).toMatchObject({ dn: "CN=Ada Lovelace,OU=Staff,DC=corp,DC=example,DC=com", line: 1 });
    expect(values(ada!, "objectClass")).toEqual(["top", "person", "organizationalPerson", "user"]);
    expect(values(ada!, "description")).toEqual(["Analyst of the Analytical Engine, first to publish an algorithm intended for it"]);
    expect(Buffer.isBuffer(values(ada!, "objectGUID")![0])).toBe(true);
    expect(values(ada!, "changetype")).toBeUndefined();
    expect(charles).toMatchObject({ line: 19 });
    const mapped = directoryEntryToUser(ada!.attributes, { mappings: [{ name: "username", value: "${ldapAttributes.sAMAccountName}" }, { name: "email", value: "${ldapAttributes.userPrincipalName}" }, { name: "name.formatted", value: "${ldapAttributes.displayName}" }] });
    expect(mapped.body).toEqual({ username: "ada", email: "ada@corp.example.com", name: { formatted: "Ada Lovelace" } });
  };

  it("reads it in UTF-8 with CRLF", async () => {
    check(await collect(chunked(new TextEncoder().encode(LDIFDE), 5)));
  });

  it("reads it as ldifde -u writes it: UTF-16LE with a byte order mark", async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(LDIFDE, "utf16le")]);
    check(await collect(chunked(bytes, 3)));
  });
});

describe("records it refuses, one by one, reading on", () => {
  it("refuses a value given by URL, any changetype but add, a record without dn, bad base64 and a version other than 1", async () => {
    const text = [
      "# a comment, folded",
      "  over two lines",
      "version: 1",
      "",
      "dn: uid=url,dc=example,dc=com",
      "jpegPhoto:< file:///etc/passwd",
      "",
      "dn: uid=mod,dc=example,dc=com",
      "changetype: modify",
      "replace: mail",
      "mail: x@example.com",
      "-",
      "",
      "dn: uid=del,dc=example,dc=com",
      "changetype: delete",
      "",
      "dn: uid=ren,dc=example,dc=com",
      "changetype: modrdn",
      "newrdn: uid=ren2",
      "deleteoldrdn: 1",
      "",
      "uid: nodn",
      "cn: no dn",
      "",
      "dn: uid=b64,dc=example,dc=com",
      "cn:: not*base64!",
      "",
      "dn: uid=ok,dc=example,dc=com",
      "changetype: add",
      "# a comment inside a record",
      "uid: ok",
      "cn:",
      "",
      "",
      "dn:: " + Buffer.from("uid=ünï,dc=example,dc=com").toString("base64"),
      "uid: uni",
    ].join("\n");
    const items = await collect(ldifBytes(text));
    expect(items.map((i) => [i.type, i.dn, i.line])).toEqual([
      ["error", "uid=url,dc=example,dc=com", 5],
      ["error", "uid=mod,dc=example,dc=com", 8],
      ["error", "uid=del,dc=example,dc=com", 14],
      ["error", "uid=ren,dc=example,dc=com", 17],
      ["error", null, 22],
      ["error", "uid=b64,dc=example,dc=com", 25],
      ["entry", "uid=ok,dc=example,dc=com", 28],
      ["entry", "uid=ünï,dc=example,dc=com", 35],
    ]);
    const messages = items.filter((i) => i.type === "error").map((i) => (i as { message: string }).message);
    expect(messages[0]).toMatch(/by URL.*not read/);
    expect(messages[1]).toMatch(/changetype: modify/);
    expect(messages[2]).toMatch(/changetype: delete/);
    expect(messages[4]).toMatch(/begin with a dn/);
    expect(messages[5]).toMatch(/base64/);
    expect(JSON.stringify(items)).not.toContain("root:");
    expect(entries(items)[0]!.attributes).toEqual({ uid: ["ok"], cn: [""] });

    const v2 = await collect(ldifBytes("version: 2\n\ndn: uid=a,dc=x\nuid: a\n"));
    expect(v2.map((i) => [i.type, i.line])).toEqual([["error", 1], ["entry", 3]]);
  });

  it("takes the version line ldapsearch -L -E pr=N repeats before each page", async () => {
    const text = "version: 1\n\n# a, x\ndn: uid=a,dc=x\nuid: a\n\n# search result\n# pagedresults: cookie=CQAAAAAAAAA=\nversion: 1\n\n#\n# b, x\ndn: uid=b,dc=x\nuid: b\n\n";
    const items = await collect(ldifBytes(text));
    expect(items.map((i) => [i.type, i.dn])).toEqual([["entry", "uid=a,dc=x"], ["entry", "uid=b,dc=x"]]);
  });

  it("refuses a record larger than the limit and reads the next", async () => {
    const text = `dn: uid=big,dc=x\ndescription: ${"x".repeat(5000)}\n\ndn: uid=small,dc=x\nuid: small\n`;
    const items = await collect(chunked(new TextEncoder().encode(text), 100), { maxRecordBytes: 1024 });
    expect(items.map((i) => [i.type, i.dn])).toEqual([["error", "uid=big,dc=x"], ["entry", "uid=small,dc=x"]]);
  });

  it("streams: the first entry comes out before the input has ended", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let ended = false;
    async function* input() {
      yield new TextEncoder().encode("dn: uid=first,dc=x\nuid: first\n\n");
      await gate;
      yield new TextEncoder().encode("dn: uid=second,dc=x\nuid: second\n");
      ended = true;
    }
    const it = readLdif(input());
    const first = await it.next();
    expect(first.value).toMatchObject({ type: "entry", dn: "uid=first,dc=x" });
    expect(ended).toBe(false);
    release();
    expect((await it.next()).value).toMatchObject({ dn: "uid=second,dc=x" });
    expect((await it.next()).done).toBe(true);
  });
});

describe("entries as user bodies (9.1, 9.2)", () => {
  it("maps with the default mapping into a body the user schema accepts, first values of multi-valued attributes, the password copied", async () => {
    const items = entries(await collect(ldifBytes(ldap.slapcat())));
    const ada = items.find((e) => e.dn === `uid=ada,${PEOPLE}`)!;
    const population = "0d000000-0000-4000-8000-00000000000a";
    const mapped = directoryEntryToUser(ada.attributes, { populationId: population });
    expect(mapped.password).toBe("copied");
    expect(mapped.body).toMatchObject({
      username: "ada",
      email: "ada@example.com",
      name: { given: "Ada", family: "Lovelace", formatted: "Ada Lovelace" },
      primaryPhone: "+44 20 7946 0000",
      externalId: "1815",
      population: { id: population },
      password: { value: expect.stringMatching(/^\{SSHA\}/) },
    });
    expect(userImportSchema.safeParse(mapped.body).success).toBe(true);
    expect(DEFAULT_ATTRIBUTE_MAPPINGS.map((m) => m.name)).toEqual(["username", "email", "name.given", "name.family", "name.formatted", "primaryPhone", "mobilePhone", "externalId"]);
    const zoe = directoryEntryToUser(items.find((e) => e.dn === `uid=zoe,${PEOPLE}`)!.attributes);
    expect(zoe.body).toMatchObject({ username: "zoe", name: { given: "Zoë", family: "Ångström" } });
  });

  it("links, by the user type's link attributes, a user whose password the service account cannot read", async () => {
    const svc = entries(await collect(ldifBytes(ldapsearch("-LLL", { dn: ldap.serviceDn, password: ldap.servicePassword }))));
    const link = { gatewayId: "0d000000-0000-4000-8000-0000000000a1", userTypeId: "0d000000-0000-4000-8000-0000000000a2", orderedCorrelationAttributes: ["uid", "mail"] };
    const val = svc.find((e) => e.dn.startsWith("uid=val,"))!;
    expect(values(val, "userPassword")).toBeUndefined();
    const linked = directoryEntryToUser(val.attributes, { link });
    expect(linked.password).toBe("linked");
    expect(linked.body.password).toEqual({ external: { gateway: { id: link.gatewayId, userType: { id: link.userTypeId }, correlationAttributes: { uid: "val", mail: "val@example.com" } } } });
    // Readable and supported: copied, even with a link.
    const ada = svc.find((e) => e.dn.startsWith("uid=ada,"))!;
    expect(directoryEntryToUser(ada.attributes, { link }).password).toBe("copied");
    // A cleartext or unknown userPassword is not copied when there is a gateway to ask.
    expect(directoryEntryToUser({ uid: "x", userPassword: "plain-text" }, { link }).password).toBe("linked");
    expect(directoryEntryToUser({ uid: "x", userPassword: "{SASL}x@REALM" }, { link }).password).toBe("linked");
    // No mapped value: the attribute is left out, and the import rules then say what is missing.
    expect(directoryEntryToUser({ cn: "No uid" }).body).toEqual({ name: { formatted: "No uid" } });
  });
});

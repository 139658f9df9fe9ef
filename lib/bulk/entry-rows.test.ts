/**
 * LDIF files as rows of a bulk job (spec 9.2): the reader's entries through parseRows("ldif"),
 * people only, mapped by the default mapping or a user type's, error rows naming DNs, and the
 * row's source (DN, password copied or linked) kept through the stored chunk.
 */
import { describe, expect, it } from "vitest";
import { ldifBytes } from "@/lib/ldif/reader";
import { isPersonEntry, type EntryMapping } from "./entry-rows";
import { parseRows, type ParsedRow } from "./parse";
import { decodeChunk, encodeRow } from "./stored-rows";

const SSHA = "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93";

async function rows(text: string, ldif: EntryMapping | null = null): Promise<ParsedRow[]> {
  const out: ParsedRow[] = [];
  for await (const r of parseRows("ldif", ldifBytes(text), { ldif })) out.push(r);
  return out;
}

const FILE = `version: 1

dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
dc: example

dn: uid=ada,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: ada
cn:: QWTDoSBMb3ZlbGFjZQ==
sn: Lovelace
mail: ada@example.com
mail: ada@example.org
userPassword:: ${Buffer.from(SSHA).toString("base64")}

dn: uid=bob,ou=people,dc=example,dc=com
changetype: delete

dn: uid=cy,ou=people,dc=example,dc=com
objectClass: person
uid: cy
userPassword: cleartext-pw
`;

describe("LDIF rows", () => {
  it("maps people by the default mapping, passes over other entries, and refuses other changetypes with the DN", async () => {
    const r = await rows(FILE);
    expect(r).toHaveLength(3);
    expect(r[0]).toEqual({
      row: 8,
      body: { username: "ada", email: "ada@example.com", name: { family: "Lovelace", formatted: "Adá Lovelace" }, password: { value: SSHA } },
      source: { dn: "uid=ada,ou=people,dc=example,dc=com", password: "copied" },
    });
    expect(r[1]).toMatchObject({ row: 17, problem: { target: "entry" }, source: { dn: "uid=bob,ou=people,dc=example,dc=com" } });
    expect("problem" in r[1]! && r[1].problem.message).toMatch(/changetype: delete.*\(DN: uid=bob,ou=people,dc=example,dc=com\)$/);
    // Without a user type there is no gateway to link to: the value goes to the import rules as given.
    expect(r[2]).toMatchObject({ body: { username: "cy", password: { value: "cleartext-pw" } }, source: { password: "copied" } });
  });

  it("with a user type: its mappings and population, and what cannot be copied linked to its gateway", async () => {
    const link = { gatewayId: "g", userTypeId: "t", orderedCorrelationAttributes: ["uid", "mail"] };
    const r = await rows(FILE, { mappings: [{ name: "username", value: "${ldapAttributes.mail}" }], populationId: "p", link });
    expect(r[0]).toMatchObject({ body: { username: "ada@example.com", population: { id: "p" }, password: { value: SSHA } }, source: { password: "copied" } });
    expect(r[2]).toMatchObject({ body: { password: { external: { gateway: { id: "g", userType: { id: "t" }, correlationAttributes: { uid: "cy" } } } } }, source: { password: "linked" } });
  });

  it("keeps the row's DN and password outcome through the stored chunk", async () => {
    const r = await rows(FILE, { mappings: null, populationId: null, link: { gatewayId: "g", userTypeId: "t", orderedCorrelationAttributes: ["uid"] } });
    expect(decodeChunk(r.map(encodeRow).join("\n"))).toEqual(r);
  });

  it("tells people from the tree's other entries", () => {
    expect(isPersonEntry({ objectClass: ["top", "organizationalUnit"] })).toBe(false);
    expect(isPersonEntry({ objectclass: ["top", "User"] })).toBe(true);
    expect(isPersonEntry({ uid: "x" })).toBe(true);
  });
});

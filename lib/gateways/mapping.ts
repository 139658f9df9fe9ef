import type { GatewayAttributeMapping } from "@/db/schema";
import { classifyPassword } from "@/lib/passwords/classify";

/**
 * How a directory entry becomes a user body (spec 5.1 attributeMappings, 9.1, 9.2): each mapping
 * names a user attribute path and PingOne's expression for its value, `${ldapAttributes.mail}`
 * (literal text around the placeholders is kept, as in `${ldapAttributes.givenName} ${ldapAttributes.sn}`).
 * A multi-valued attribute gives its first value; a mapping whose attributes the entry lacks sets
 * nothing. Used by Check Password's profile refresh and by the directory and LDIF imports.
 */

/** The §2.1 attribute paths a mapping may write. */
export const MAPPABLE_ATTRIBUTES = [
  "username", "email", "externalId", "nickname", "title", "locale", "preferredLanguage", "timezone",
  "primaryPhone", "mobilePhone",
  "name.given", "name.family", "name.middle", "name.formatted", "name.honorificPrefix", "name.honorificSuffix",
  "address.streetAddress", "address.locality", "address.region", "address.postalCode", "address.countryCode",
  "photo.href",
] as const;
export type MappableAttribute = (typeof MAPPABLE_ATTRIBUTES)[number];

const PLACEHOLDER = /\$\{ldapAttributes\.([A-Za-z][A-Za-z0-9-]*(?:;[A-Za-z0-9-]+)*)\}/g;

/** The LDAP attributes an expression reads, or null when it is not one of PingOne's expressions. */
export function expressionAttributes(expression: string): string[] | null {
  const names = [...expression.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  if (names.length === 0) return null;
  // Anything else that looks like a placeholder is a mistake, not literal text.
  if (expression.replace(PLACEHOLDER, "").includes("${")) return null;
  return names;
}

/**
 * The spec's default mapping (9.2), for LDIF files imported without a user type. `userPassword`
 * is not here: a readable password is the caller's concern (it becomes password.value only when
 * it is a supported pre-encoded form).
 */
export const DEFAULT_ATTRIBUTE_MAPPINGS: GatewayAttributeMapping[] = [
  { name: "username", value: "${ldapAttributes.uid}" },
  { name: "email", value: "${ldapAttributes.mail}" },
  { name: "name.given", value: "${ldapAttributes.givenName}" },
  { name: "name.family", value: "${ldapAttributes.sn}" },
  { name: "name.formatted", value: "${ldapAttributes.cn}" },
  { name: "primaryPhone", value: "${ldapAttributes.telephoneNumber}" },
  { name: "mobilePhone", value: "${ldapAttributes.mobile}" },
  { name: "externalId", value: "${ldapAttributes.employeeNumber}" },
];

/** An entry's attributes by name, as ldapts or the LDIF reader give them (names compared case-insensitively). */
export type EntryAttributes = Record<string, string | Buffer | readonly (string | Buffer)[] | undefined>;

function firstValue(entry: EntryAttributes, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, raw] of Object.entries(entry)) {
    if (key.toLowerCase() !== wanted || raw === undefined) continue;
    const first: string | Buffer | undefined = Array.isArray(raw) ? (raw as readonly (string | Buffer)[])[0] : (raw as string | Buffer);
    if (first === undefined) return undefined;
    return Buffer.isBuffer(first) ? first.toString("utf8") : first;
  }
  return undefined;
}

function evaluate(expression: string, entry: EntryAttributes): string | undefined {
  let missing = false;
  const out = expression.replace(PLACEHOLDER, (_, name: string) => {
    const v = firstValue(entry, name);
    if (v === undefined) missing = true;
    return v ?? "";
  });
  return missing ? undefined : out;
}

/**
 * The user attributes an entry maps to, as a nested §2.1 body fragment
 * (`{username, email, name: {given}}`). Nothing is validated here: the caller sends the body
 * through the user schema, so a bad value is refused by the one rule that refuses it everywhere.
 */
export function mapEntry(entry: EntryAttributes, mappings: readonly GatewayAttributeMapping[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const m of mappings) {
    const value = evaluate(m.value, entry);
    if (value === undefined) continue;
    const [head, leaf] = m.name.split(".", 2) as [string, string | undefined];
    if (leaf === undefined) body[head] = value;
    else body[head] = { ...((body[head] as Record<string, unknown> | undefined) ?? {}), [leaf]: value };
  }
  return body;
}

/** Every LDAP attribute the mappings read: what a search must ask for. */
export function mappedLdapAttributes(mappings: readonly GatewayAttributeMapping[]): string[] {
  return [...new Set(mappings.flatMap((m) => expressionAttributes(m.value) ?? []))];
}

/** How a directory import links a user whose password it cannot copy (spec 9.1): the user type's gateway and link attributes. */
export type DirectoryUserLink = { gatewayId: string; userTypeId: string; orderedCorrelationAttributes: readonly string[] };

export type MappedDirectoryEntry = {
  /** A §2.1 body, to go through the import rules like any other row. */
  body: Record<string, unknown>;
  /** copied: userPassword became password.value; linked: password.external.gateway; none: neither. */
  password: "copied" | "linked" | "none";
};

/**
 * A directory entry (from a live search or an LDIF file) as a user body (spec 9.1, 9.2): the
 * user type's attribute mappings, or the default mapping; the population given; and its password.
 * A readable userPassword in a supported pre-encoded form is copied (the user then signs on with
 * no directory at all). Without a link (an LDIF file imported with the default mapping) any
 * userPassword is copied as LDIF gives it, and the import rules refuse what they cannot take.
 * With a link, what cannot be copied (unreadable, absent, cleartext, an unsupported scheme) is
 * linked to the gateway by the user type's link attributes, found in the entry.
 */
export function directoryEntryToUser(
  attributes: EntryAttributes,
  opts: { mappings?: readonly GatewayAttributeMapping[] | null; populationId?: string | null; link?: DirectoryUserLink | null } = {},
): MappedDirectoryEntry {
  const body = mapEntry(attributes, opts.mappings?.length ? opts.mappings : DEFAULT_ATTRIBUTE_MAPPINGS);
  if (opts.populationId) body.population = { id: opts.populationId };
  const stored = firstValue(attributes, "userPassword");
  if (stored !== undefined && stored !== "" && (!opts.link || classifyPassword(stored).kind === "encoded")) {
    body.password = { value: stored };
    return { body, password: "copied" };
  }
  if (!opts.link) return { body, password: "none" };
  const correlationAttributes: Record<string, string> = {};
  for (const name of opts.link.orderedCorrelationAttributes) {
    const v = firstValue(attributes, name);
    if (v !== undefined && v !== "") correlationAttributes[name] = v;
  }
  body.password = { external: { gateway: { id: opts.link.gatewayId, userType: { id: opts.link.userTypeId }, correlationAttributes } } };
  return { body, password: "linked" };
}

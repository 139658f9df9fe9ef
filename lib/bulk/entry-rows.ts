import type { GatewayAttributeMapping } from "@/db/schema";
import { directoryEntryToUser, type DirectoryUserLink, type EntryAttributes } from "@/lib/gateways/mapping";
import type { ParsedRow } from "./parse";

/**
 * A directory entry (a live search's or an LDIF file's) as a row of a bulk job (spec 9): the body
 * that the import decision judges like any other row, with the entry's DN for its error row and
 * what became of its password for the job's counts.
 */
export type EntryMapping = {
  /** The user type's attributeMappings; null or empty: the spec's default mapping (9.2). */
  mappings: readonly GatewayAttributeMapping[] | null;
  /** The user type's newUserLookup.population.id; null: the job's default population. */
  populationId: string | null;
  /** Set when a user type is given: users whose password cannot be copied are linked to its gateway. */
  link: DirectoryUserLink | null;
};

export function entryRow(row: number, dn: string, attributes: EntryAttributes, mapping: EntryMapping | null): ParsedRow {
  const mapped = directoryEntryToUser(attributes, { mappings: mapping?.mappings ?? null, populationId: mapping?.populationId ?? null, link: mapping?.link ?? null });
  return { row, body: mapped.body, source: { dn, password: mapped.password } };
}

/** Object classes of the entries that are people (users), in the schemas slapcat and ldifde export. */
const PERSON_CLASSES = new Set(["person", "organizationalperson", "inetorgperson", "user", "posixaccount", "account", "shadowaccount"]);

/**
 * Whether an LDIF record is a user to import. A file exported whole (slapcat) also holds the
 * tree's organizations, units and groups: they are no users and are passed over, as a directory
 * job's default filter (objectClass=person) passes over them. A record without objectClass (an
 * `ldapsearch -L` of chosen attributes) is taken as a user.
 */
export function isPersonEntry(attributes: EntryAttributes): boolean {
  const key = Object.keys(attributes).find((k) => k.toLowerCase() === "objectclass");
  if (!key) return true;
  const raw = attributes[key];
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return (values as (string | Buffer)[]).some((v) => PERSON_CLASSES.has(String(v).trim().toLowerCase()));
}

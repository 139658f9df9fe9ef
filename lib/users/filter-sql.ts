import { sql, type SQL } from "drizzle-orm";
import { users } from "@/db/schema";
import { isUuid } from "@/lib/ids";
import type { FilterAttribute, FilterComparison, FilterNode } from "./filter";

/**
 * A parsed user filter (filter.ts) as ONE SQL condition in which every value is a bound
 * parameter: nothing of the filter's text is ever spliced into the SQL. Text compares
 * case-insensitively, lower() on both sides (so PostgreSQL's own case rules apply to both);
 * `sw` on username and email is `lower(x) LIKE 'prefix%'`, which the text_pattern_ops indexes
 * of db/schema.ts serve. A missing attribute matches nothing (no NOT in the language, so SQL's
 * NULL behaves as false).
 */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The profile document paths of the profile attributes (fixed here; never from the filter's text). */
const PROFILE_PATHS: Partial<Record<FilterAttribute, SQL>> = {
  "name.given": sql`${users.profile} #>> '{name,given}'`,
  "name.family": sql`${users.profile} #>> '{name,family}'`,
  "name.middle": sql`${users.profile} #>> '{name,middle}'`,
  "name.formatted": sql`${users.profile} #>> '{name,formatted}'`,
  "name.honorificPrefix": sql`${users.profile} #>> '{name,honorificPrefix}'`,
  "name.honorificSuffix": sql`${users.profile} #>> '{name,honorificSuffix}'`,
  nickname: sql`${users.profile} ->> 'nickname'`,
  title: sql`${users.profile} ->> 'title'`,
  externalId: sql`${users.profile} ->> 'externalId'`,
  "address.streetAddress": sql`${users.profile} #>> '{address,streetAddress}'`,
  "address.locality": sql`${users.profile} #>> '{address,locality}'`,
  "address.region": sql`${users.profile} #>> '{address,region}'`,
  "address.postalCode": sql`${users.profile} #>> '{address,postalCode}'`,
  "address.countryCode": sql`${users.profile} #>> '{address,countryCode}'`,
  primaryPhone: sql`${users.profile} ->> 'primaryPhone'`,
  mobilePhone: sql`${users.profile} ->> 'mobilePhone'`,
  locale: sql`${users.profile} ->> 'locale'`,
  preferredLanguage: sql`${users.profile} ->> 'preferredLanguage'`,
  timezone: sql`${users.profile} ->> 'timezone'`,
};

function textColumn(attribute: FilterAttribute): SQL {
  if (attribute === "username") return sql`lower(${users.username})`;
  if (attribute === "email") return sql`lower(${users.email})`;
  if (attribute === "lifecycle.status") return sql`lower(${users.lifecycleStatus})`;
  if (attribute === "population.id") return sql`${users.populationId}::text`;
  return sql`lower(${PROFILE_PATHS[attribute]!})`;
}

function comparisonSql(c: FilterComparison): SQL {
  if (c.attribute === "enabled") return sql`${users.enabled} = ${c.value === true}`;
  if (c.attribute === "createdAt" || c.attribute === "updatedAt") {
    const column = c.attribute === "createdAt" ? users.createdAt : users.updatedAt;
    const at = sql`${String(c.value)}::timestamptz`;
    const op = { eq: sql`=`, gt: sql`>`, ge: sql`>=`, lt: sql`<`, le: sql`<=` }[c.op as "eq" | "gt" | "ge" | "lt" | "le"];
    return sql`${column} ${op} ${at}`;
  }
  const value = String(c.value);
  // population.id eq goes by the uuid column (and its index); a value that is no uuid matches nothing.
  if (c.attribute === "population.id" && c.op === "eq") return isUuid(value) ? sql`${users.populationId} = ${value.toLowerCase()}::uuid` : sql`false`;
  const column = textColumn(c.attribute);
  if (c.op === "eq") return sql`${column} = lower(${value})`;
  const pattern = c.op === "sw" ? `${escapeLike(value)}%` : c.op === "ew" ? `%${escapeLike(value)}` : `%${escapeLike(value)}%`;
  return sql`${column} like lower(${pattern})`;
}

export function filterSql(node: FilterNode): SQL {
  if (node.kind === "cmp") return comparisonSql(node);
  const parts = node.items.map(filterSql);
  return sql`(${sql.join(parts, node.kind === "and" ? sql` and ` : sql` or `)})`;
}

import "server-only";
import { and, asc, eq, gt, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { getDb, type Db } from "@/db";
import { identityProviders, users } from "@/db/schema";
import { requireEnvironmentAccess, reaches, type Actor, type Reach } from "@/lib/access";
import { invalidData, notFound } from "@/lib/api/errors";
import { isUuid } from "@/lib/ids";
import type { FilterNode } from "./filter";
import { escapeLike, filterSql } from "./filter-sql";
import type { UserResourceSource } from "./resource";

const resourceColumns = {
  id: users.id,
  environmentId: users.environmentId,
  populationId: users.populationId,
  username: users.username,
  email: users.email,
  emailVerified: users.emailVerified,
  enabled: users.enabled,
  mfaEnabled: users.mfaEnabled,
  lifecycleStatus: users.lifecycleStatus,
  identityProviderId: users.identityProviderId,
  identityProviderType: identityProviders.type,
  profile: users.profile,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

/** One user, or 404 when it does not exist or lies outside the actor's read scope. */
export async function getUser(actor: Actor, environmentId: string, userId: string): Promise<UserResourceSource> {
  const r = requireEnvironmentAccess(actor, "users:read", environmentId);
  if (!isUuid(userId)) throw notFound("The user was not found.");
  const db = await getDb();
  const [u] = await db
    .select(resourceColumns)
    .from(users)
    .leftJoin(identityProviders, eq(identityProviders.id, users.identityProviderId))
    .where(and(eq(users.environmentId, environmentId), eq(users.id, userId)));
  if (!u || !reaches(r, u.populationId)) throw notFound("The user was not found.");
  return u;
}

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

export type UserPage = { users: UserResourceSource[]; nextCursor: string | null };

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString("base64url");
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { after?: unknown };
    if (isUuid(parsed.after)) return parsed.after;
  } catch {
    // fall through to the error below
  }
  throw invalidData([{ code: "INVALID_VALUE", target: "cursor", message: "The cursor is not valid: use the next link as given." }]);
}

export type ListOptions = {
  limit: number;
  after?: string | null;
  filter?: FilterNode | null;
  search?: string;
  /** Only users who have never had a successful password check since import (the migration cockpit's "what is left"). */
  neverChecked?: boolean;
};

/** The one list query (bench/filters.mts EXPLAINs it as built here). */
export function userListQuery(db: Db, environmentId: string, r: Reach, opts: ListOptions) {
  const where: SQL[] = [eq(users.environmentId, environmentId)];
  if (!r.all) where.push(inArray(users.populationId, [...r.populations]));
  if (opts.after) where.push(gt(users.id, opts.after));
  if (opts.filter) where.push(filterSql(opts.filter));
  if (opts.neverChecked) where.push(isNull(users.passwordCheckedAt));
  // The console's search box: a prefix of the username or of the email.
  if (opts.search) {
    const prefix = escapeLike(opts.search.toLowerCase()) + "%";
    where.push(sql`(lower(${users.username}) like ${prefix} or lower(${users.email}) like ${prefix})`);
  }
  return db
    .select(resourceColumns)
    .from(users)
    .leftJoin(identityProviders, eq(identityProviders.id, users.identityProviderId))
    .where(and(...where))
    .orderBy(asc(users.id))
    .limit(opts.limit + 1);
}

/**
 * A page of users in creation order (UUIDv7 ids), keyset-paged so that a cursor stays valid
 * while users are added. A population-scoped reader sees only its populations.
 */
export async function listUsers(actor: Actor, environmentId: string, opts: ListOptions): Promise<UserPage> {
  const r = requireEnvironmentAccess(actor, "users:read", environmentId);
  const rows = await userListQuery(await getDb(), environmentId, r, opts);
  const more = rows.length > opts.limit;
  const page = more ? rows.slice(0, opts.limit) : rows;
  return { users: page, nextCursor: more ? encodeCursor(page[page.length - 1]!.id) : null };
}

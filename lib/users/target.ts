import "server-only";
import { and, eq } from "drizzle-orm";
import type { Executor } from "@/db";
import { identityProviders, users } from "@/db/schema";
import { reaches, requireCovers, requireEnvironmentAccess, requirePopulationAccess, type Actor, type Permission } from "@/lib/access";
import { loadAssignments } from "@/lib/access/assignments";
import { notFound } from "@/lib/api/errors";
import { isUuid } from "@/lib/ids";

/** The columns an operation on one user (password, verification) needs, secrets included: server-side only. */
const targetColumns = {
  id: users.id,
  environmentId: users.environmentId,
  populationId: users.populationId,
  username: users.username,
  email: users.email,
  lifecycleStatus: users.lifecycleStatus,
  identityProviderId: users.identityProviderId,
  identityProviderType: identityProviders.type,
  passwordHash: users.passwordHash,
  passwordStatus: users.passwordStatus,
  passwordChangedAt: users.passwordChangedAt,
  passwordCheckedAt: users.passwordCheckedAt,
  externalPassword: users.externalPassword,
};

export type TargetUser = {
  id: string;
  environmentId: string;
  populationId: string;
  username: string;
  email: string | null;
  lifecycleStatus: string;
  identityProviderId: string | null;
  identityProviderType: string | null;
  passwordHash: string | null;
  passwordStatus: (typeof users.$inferSelect)["passwordStatus"];
  passwordChangedAt: Date | null;
  /** The first successful check since import (null: never checked). */
  passwordCheckedAt: Date | null;
  externalPassword: (typeof users.$inferSelect)["externalPassword"];
};

/**
 * The user an operation acts on, after the access check (spec 6): 403 without any role in the
 * environment, 404 when the user does not exist or lies outside the actor's read scope (so
 * nothing is learnt about other populations), 403 when the actor may read it but lacks
 * `permission`, and 403 for a write on a user who holds role assignments the actor's own do not
 * cover (an administrator: finding F1). `forUpdate` locks the row for the rest of the caller's
 * transaction.
 */
export async function findTargetUser(
  db: Executor,
  actor: Actor,
  environmentId: string,
  userId: string,
  permission: Permission,
  opts: { forUpdate?: boolean } = {},
): Promise<TargetUser> {
  const readable = requireEnvironmentAccess(actor, "users:read", environmentId);
  if (!isUuid(userId)) throw notFound("The user was not found.");
  const query = db
    .select(targetColumns)
    .from(users)
    .leftJoin(identityProviders, eq(identityProviders.id, users.identityProviderId))
    .where(and(eq(users.environmentId, environmentId), eq(users.id, userId.toLowerCase())));
  const [u] = opts.forUpdate ? await query.for("update", { of: users }) : await query;
  if (!u || !reaches(readable, u.populationId)) throw notFound("The user was not found.");
  if (permission !== "users:read") {
    requirePopulationAccess(actor, permission, environmentId, u.populationId);
    requireCovers(actor, await loadAssignments({ userId: u.id }, db), "user");
  }
  return u;
}

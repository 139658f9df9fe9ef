import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "@/db";
import { preparedOn } from "@/db/prepared";
import { gateways, gatewayUserTypes, identityProviders, users } from "@/db/schema";
import { reaches, requireCovers, requireEnvironmentAccess, requirePopulationAccess, type Actor, type Assignment, type Permission } from "@/lib/access";
import { heldAssignments, heldAssignmentsColumn } from "@/lib/access/assignments";
import { notFound } from "@/lib/api/errors";
import { LINK_COLUMNS, type LoadedLink } from "@/lib/gateways/links";
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

// The role assignments the target holds (what requireCovers weighs), read in the same statement
// as the user: one round trip instead of two on every write to a user.
const assignmentsColumn = heldAssignmentsColumn(users.id);

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
  /**
   * With `gatewayLink`: what the stored link points at, read in the same statement (either part
   * null when it no longer exists; lib/gateways/links.ts linkOf); undefined otherwise.
   */
  gatewayLink?: { gateway: LoadedLink["gateway"] | null; userType: LoadedLink["userType"] | null };
};

type TargetRow = Omit<TargetUser, "gatewayLink"> & { assignments: Assignment[] | string | null } & Partial<NonNullable<TargetUser["gatewayLink"]>>;
type TargetShape = { write: boolean; gatewayLink: boolean; forUpdate: boolean };

function targetQuery(db: Executor, { write, gatewayLink, forUpdate }: TargetShape) {
  const where = and(eq(users.environmentId, sql.placeholder("environmentId")), eq(users.id, sql.placeholder("userId")));
  const base = db
    .select({ ...targetColumns, assignments: write ? assignmentsColumn : sql<null>`null`, ...(gatewayLink ? LINK_COLUMNS : {}) })
    .from(users)
    .leftJoin(identityProviders, eq(identityProviders.id, users.identityProviderId));
  // The link's gateway (in the user's environment) and user type, compared as text: the generated
  // id columns are text, and a uuid cast would fail on a value that is not one.
  const query = gatewayLink
    ? base
        .leftJoin(gateways, and(sql`${gateways.id}::text = lower(${users.passwordGatewayId})`, eq(gateways.environmentId, users.environmentId)))
        .leftJoin(gatewayUserTypes, and(eq(gatewayUserTypes.gatewayId, gateways.id), sql`${gatewayUserTypes.id}::text = lower(${users.passwordUserTypeId})`))
        .where(where)
    : base.where(where);
  return (forUpdate ? query.for("update", { of: users }) : query).prepare("target_user");
}

function preparedTargetQuery(db: Executor, shape: TargetShape): ReturnType<typeof targetQuery> {
  return preparedOn(db, `target_user:${shape.write}:${shape.gatewayLink}:${shape.forUpdate}`, (d) => targetQuery(d, shape));
}

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
  opts: { forUpdate?: boolean; gatewayLink?: boolean } = {},
): Promise<TargetUser> {
  const readable = requireEnvironmentAccess(actor, "users:read", environmentId);
  if (!isUuid(userId)) throw notFound("The user was not found.");
  const write = permission !== "users:read";
  const shape = { write, gatewayLink: !!opts.gatewayLink, forUpdate: !!opts.forUpdate };
  const [row] = (await preparedTargetQuery(db, shape).execute({ environmentId, userId: userId.toLowerCase() })) as TargetRow[];
  if (!row || !reaches(readable, row.populationId)) throw notFound("The user was not found.");
  const { assignments, gateway, userType, ...rest } = row;
  const u: TargetUser = opts.gatewayLink ? { ...rest, gatewayLink: { gateway: gateway ?? null, userType: userType ?? null } } : rest;
  if (write) {
    requirePopulationAccess(actor, permission, environmentId, u.populationId);
    requireCovers(actor, heldAssignments(assignments), "user");
  }
  return u;
}

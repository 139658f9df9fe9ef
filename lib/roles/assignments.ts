import "server-only";
import { and, asc, eq, inArray, isNotNull, or, type SQL } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { applications, environments, populations, ROLES, roleAssignments, users, type RoleName, type ScopeType } from "@/db/schema";
import { coversAll, requireEnvironmentAccess, ROLE_LABELS, ROLE_SCOPES, type Actor } from "@/lib/access";
import { forbidden, invalidData, notFound } from "@/lib/api/errors";
import { recordAudit } from "@/lib/audit";
import { isUuid, uuidv7 } from "@/lib/ids";

/**
 * Role assignments (spec 6): who holds which role over which scope. One domain function per
 * operation, used by the console's server actions and the HTTP API. Managing them needs
 * ENVIRONMENT_ADMIN over the whole environment the user or application lives in, and nobody can
 * grant or remove more than they hold themselves (lib/access `covers`).
 */
export type RoleSubject = { userId: string } | { applicationId: string };
export type RoleScope = { type: ScopeType; id: string };

export type RoleAssignmentView = {
  id: string;
  role: RoleName;
  subject: { type: "USER"; id: string; name: string } | { type: "APPLICATION"; id: string; name: string };
  scope: { type: ScopeType; id: string; environmentId: string | null; name: string | null };
  createdAt: Date;
};

/** The subject lives in `environmentId` (404 otherwise, so other environments' ids say nothing). */
async function requireSubject(db: Executor, environmentId: string, subject: RoleSubject): Promise<RoleSubject> {
  if ("userId" in subject) {
    if (!isUuid(subject.userId)) throw notFound("The user was not found.");
    const id = subject.userId.toLowerCase();
    const [u] = await db.select({ id: users.id }).from(users).where(and(eq(users.id, id), eq(users.environmentId, environmentId)));
    if (!u) throw notFound("The user was not found.");
    return { userId: id };
  }
  if (!subject || !("applicationId" in subject) || !isUuid(subject.applicationId)) throw notFound("The application was not found.");
  const id = subject.applicationId.toLowerCase();
  const [a] = await db
    .select({ id: applications.id })
    .from(applications)
    .where(and(eq(applications.id, id), eq(applications.environmentId, environmentId)));
  if (!a) throw notFound("The application was not found.");
  return { applicationId: id };
}

/** The scope exists; returns the environment it lies in (null for the organization). */
async function resolveScope(db: Executor, environmentId: string, scope: RoleScope): Promise<{ scopeType: ScopeType; scopeId: string; environmentId: string | null }> {
  const bad = (message: string) => invalidData([{ code: "INVALID_VALUE", target: "scope.id", message }]);
  if (!scope || !["ORGANIZATION", "ENVIRONMENT", "POPULATION"].includes(scope.type)) {
    throw invalidData([{ code: "INVALID_VALUE", target: "scope.type", message: "The scope type must be ORGANIZATION, ENVIRONMENT or POPULATION." }]);
  }
  if (!isUuid(scope.id)) throw bad("The scope id must be a UUID.");
  const id = scope.id.toLowerCase();
  if (scope.type === "ORGANIZATION") {
    const [env] = await db.select({ org: environments.organizationId }).from(environments).where(eq(environments.id, environmentId));
    if (!env || env.org !== id) throw bad("The scope is not this environment's organization.");
    return { scopeType: "ORGANIZATION", scopeId: id, environmentId: null };
  }
  if (scope.type === "ENVIRONMENT") {
    const [env] = await db.select({ id: environments.id }).from(environments).where(eq(environments.id, id));
    if (!env) throw bad("The scope environment does not exist.");
    return { scopeType: "ENVIRONMENT", scopeId: id, environmentId: id };
  }
  const [pop] = await db.select({ env: populations.environmentId }).from(populations).where(eq(populations.id, id));
  if (!pop) throw bad("The scope population does not exist.");
  return { scopeType: "POPULATION", scopeId: id, environmentId: pop.env };
}

/**
 * Gives a user or application of `environmentId` a role over a scope. The actor needs
 * `environment:manage` on that environment and must itself hold that role's permissions over the
 * scope (or a wider one): nobody can grant more than they have.
 */
export async function createRoleAssignment(
  actor: Actor,
  environmentId: string,
  input: { subject: RoleSubject; role: RoleName; scope: RoleScope },
): Promise<RoleAssignmentView> {
  requireEnvironmentAccess(actor, "environment:manage", environmentId);
  if (!ROLES.includes(input?.role)) {
    throw invalidData([{ code: "INVALID_VALUE", target: "role", message: `The role must be one of ${ROLES.join(", ")}.` }]);
  }
  const db = await getDb();
  const subject = await requireSubject(db, environmentId, input.subject);
  const scope = await resolveScope(db, environmentId, input.scope);
  if (!ROLE_SCOPES[input.role].includes(scope.scopeType)) {
    throw invalidData([
      {
        code: "INVALID_VALUE",
        target: "scope.type",
        message: `${ROLE_LABELS[input.role]} can be assigned over ${ROLE_SCOPES[input.role].join(" or ")} only: it means the whole environment, not one population.`,
      },
    ]);
  }
  const target = { role: input.role, ...scope };
  if (!coversAll(actor, [target])) {
    throw forbidden("You can assign only a role whose permissions you hold yourself over the same scope or a wider one.");
  }
  const id = uuidv7();
  await db.transaction(async (tx) => {
    await tx.insert(roleAssignments).values({
      id,
      role: input.role,
      userId: "userId" in subject ? subject.userId : null,
      applicationId: "applicationId" in subject ? subject.applicationId : null,
      scopeType: scope.scopeType,
      scopeId: scope.scopeId,
      scopeEnvironmentId: scope.environmentId,
    });
    await recordAudit(tx, actor, environmentId, "ROLE_ASSIGNMENT.CREATED", { type: "ROLE_ASSIGNMENT", id }, { role: input.role, scope: { type: scope.scopeType, id: scope.scopeId } });
  });
  const [view] = await viewsOf(db, environmentId, eq(roleAssignments.id, id));
  return view!;
}

/**
 * Removes an assignment of a subject in `environmentId`. Like creating one, it needs the role
 * over the scope, so an admin cannot strip a wider admin of a role it does not hold.
 */
export async function deleteRoleAssignment(actor: Actor, environmentId: string, assignmentId: string): Promise<void> {
  requireEnvironmentAccess(actor, "environment:manage", environmentId);
  if (!isUuid(assignmentId)) throw notFound("The role assignment was not found.");
  const db = await getDb();
  const [row] = await viewsOf(db, environmentId, eq(roleAssignments.id, assignmentId.toLowerCase()));
  if (!row) throw notFound("The role assignment was not found.");
  const target = { role: row.role, scopeType: row.scope.type, scopeId: row.scope.id, environmentId: row.scope.environmentId };
  if (!coversAll(actor, [target])) {
    throw forbidden("You can remove only a role whose permissions you hold yourself over the same scope or a wider one.");
  }
  await db.transaction(async (tx) => {
    await tx.delete(roleAssignments).where(eq(roleAssignments.id, row.id));
    await recordAudit(tx, actor, environmentId, "ROLE_ASSIGNMENT.DELETED", { type: "ROLE_ASSIGNMENT", id: row.id }, { role: row.role });
  });
}

/** One assignment of a subject of `environmentId` (404 when it is not that subject's). */
export async function getRoleAssignment(actor: Actor, environmentId: string, subject: RoleSubject, assignmentId: string): Promise<RoleAssignmentView> {
  requireEnvironmentAccess(actor, "environment:manage", environmentId);
  if (!isUuid(assignmentId)) throw notFound("The role assignment was not found.");
  const db = await getDb();
  const s = await requireSubject(db, environmentId, subject);
  const [view] = await viewsOf(
    db,
    environmentId,
    and(
      eq(roleAssignments.id, assignmentId.toLowerCase()),
      "userId" in s ? eq(roleAssignments.userId, s.userId) : eq(roleAssignments.applicationId, s.applicationId),
    ),
  );
  if (!view) throw notFound("The role assignment was not found.");
  return view;
}

/** Assignments held by users and applications of `environmentId`, optionally of one subject. */
export async function listRoleAssignments(actor: Actor, environmentId: string, filter?: { subject?: RoleSubject }): Promise<RoleAssignmentView[]> {
  requireEnvironmentAccess(actor, "environment:manage", environmentId);
  const db = await getDb();
  const s = filter?.subject;
  if (s) {
    const subject = await requireSubject(db, environmentId, s);
    return viewsOf(
      db,
      environmentId,
      "userId" in subject ? eq(roleAssignments.userId, subject.userId) : eq(roleAssignments.applicationId, subject.applicationId),
    );
  }
  return viewsOf(db, environmentId);
}

async function viewsOf(db: Executor, environmentId: string, where?: SQL): Promise<RoleAssignmentView[]> {
  const rows = await db
    .select({
      id: roleAssignments.id,
      role: roleAssignments.role,
      userId: roleAssignments.userId,
      applicationId: roleAssignments.applicationId,
      scopeType: roleAssignments.scopeType,
      scopeId: roleAssignments.scopeId,
      scopeEnvironmentId: roleAssignments.scopeEnvironmentId,
      createdAt: roleAssignments.createdAt,
      username: users.username,
      appName: applications.name,
    })
    .from(roleAssignments)
    .leftJoin(users, eq(users.id, roleAssignments.userId))
    .leftJoin(applications, eq(applications.id, roleAssignments.applicationId))
    .where(
      and(
        or(
          and(isNotNull(roleAssignments.userId), eq(users.environmentId, environmentId)),
          and(isNotNull(roleAssignments.applicationId), eq(applications.environmentId, environmentId)),
        ),
        where,
      ),
    )
    .orderBy(asc(roleAssignments.createdAt), asc(roleAssignments.id));
  const envIds = [...new Set(rows.filter((r) => r.scopeType === "ENVIRONMENT").map((r) => r.scopeId))];
  const popIds = [...new Set(rows.filter((r) => r.scopeType === "POPULATION").map((r) => r.scopeId))];
  const envNames = new Map(
    envIds.length ? (await db.select({ id: environments.id, name: environments.name }).from(environments).where(inArray(environments.id, envIds))).map((e) => [e.id, e.name]) : [],
  );
  const popNames = new Map(
    popIds.length ? (await db.select({ id: populations.id, name: populations.name }).from(populations).where(inArray(populations.id, popIds))).map((p) => [p.id, p.name]) : [],
  );
  return rows.map((r) => ({
    id: r.id,
    role: r.role,
    subject: r.userId ? { type: "USER" as const, id: r.userId, name: r.username ?? "" } : { type: "APPLICATION" as const, id: r.applicationId!, name: r.appName ?? "" },
    scope: {
      type: r.scopeType,
      id: r.scopeId,
      environmentId: r.scopeEnvironmentId,
      name: r.scopeType === "ORGANIZATION" ? "Organization" : r.scopeType === "ENVIRONMENT" ? (envNames.get(r.scopeId) ?? null) : (popNames.get(r.scopeId) ?? null),
    },
    createdAt: r.createdAt,
  }));
}

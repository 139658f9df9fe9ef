import "server-only";
import { and, asc, eq, inArray, isNotNull, or, type SQL } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import {
  applications,
  auditEvents,
  environments,
  populations,
  ROLES,
  roleAssignments,
  users,
  type RoleName,
  type ScopeType,
} from "@/db/schema";
import { requireEnvironmentAccess, type Actor } from "@/lib/access";
import { forbidden, invalidData, notFound } from "@/lib/api/errors";
import { isUuid, uuidv7 } from "@/lib/ids";
import { clientSecret as newClientSecret } from "./client-secret";

/**
 * Worker applications and role assignments: one domain function per operation, used by the
 * console's server actions and by the HTTP API. Each checks access itself: managing
 * applications and role assignments needs ENVIRONMENT_ADMIN (`environment:manage`) on the
 * environment the application or user lives in.
 */

export type ApplicationSummary = {
  id: string;
  environmentId: string;
  name: string;
  enabled: boolean;
  tokenEndpointAuthMethod: "CLIENT_SECRET_BASIC" | "CLIENT_SECRET_POST";
  createdAt: Date;
  updatedAt: Date;
};

const applicationColumns = {
  id: applications.id,
  environmentId: applications.environmentId,
  name: applications.name,
  enabled: applications.enabled,
  tokenEndpointAuthMethod: applications.tokenEndpointAuthMethod,
  createdAt: applications.createdAt,
  updatedAt: applications.updatedAt,
};

function audit(actor: Actor, environmentId: string, action: string, resourceType: string, resourceId: string, details: Record<string, unknown> = {}) {
  return {
    id: uuidv7(),
    environmentId,
    action,
    actorType: actor.type,
    actorId: actor.id,
    resourceType,
    resourceId,
    via: actor.via,
    details,
  } as const;
}

function applicationName(raw: unknown): string {
  const name = typeof raw === "string" ? raw.trim() : "";
  if (!name) throw invalidData([{ code: "REQUIRED_VALUE", target: "name", message: "Give the application a name." }]);
  if (name.length > 256) throw invalidData([{ code: "SIZE_LIMIT_EXCEEDED", target: "name", message: "The name can have at most 256 characters." }]);
  return name;
}

export async function listApplications(actor: Actor, environmentId: string): Promise<ApplicationSummary[]> {
  requireEnvironmentAccess(actor, "environment:manage", environmentId);
  const db = await getDb();
  return db
    .select(applicationColumns)
    .from(applications)
    .where(eq(applications.environmentId, environmentId))
    .orderBy(asc(applications.createdAt), asc(applications.id));
}

export async function getApplication(actor: Actor, environmentId: string, applicationId: string): Promise<ApplicationSummary> {
  requireEnvironmentAccess(actor, "environment:manage", environmentId);
  if (!isUuid(applicationId)) throw notFound("The application was not found.");
  const db = await getDb();
  const [app] = await db
    .select(applicationColumns)
    .from(applications)
    .where(and(eq(applications.id, applicationId.toLowerCase()), eq(applications.environmentId, environmentId)));
  if (!app) throw notFound("The application was not found.");
  return app;
}

/** A new worker application. The client secret is in the result once; only its argon2id hash is kept. */
export async function createApplication(
  actor: Actor,
  environmentId: string,
  input: { name: string },
): Promise<{ application: ApplicationSummary; clientSecret: string }> {
  requireEnvironmentAccess(actor, "environment:manage", environmentId);
  const name = applicationName(input?.name);
  const { secret: clientSecret, secretHash } = await newClientSecret();
  const db = await getDb();
  const id = uuidv7();
  const application = await db.transaction(async (tx) => {
    const [row] = await tx.insert(applications).values({ id, environmentId, name, secretHash }).returning(applicationColumns);
    await tx.insert(auditEvents).values(audit(actor, environmentId, "APPLICATION.CREATED", "APPLICATION", id, { name }));
    return row!;
  });
  return { application, clientSecret };
}

export async function updateApplication(
  actor: Actor,
  environmentId: string,
  applicationId: string,
  input: { name?: string; enabled?: boolean },
): Promise<ApplicationSummary> {
  await getApplication(actor, environmentId, applicationId);
  const values: { name?: string; enabled?: boolean; updatedAt: Date } = { updatedAt: new Date() };
  if (input.name !== undefined) values.name = applicationName(input.name);
  if (input.enabled !== undefined) values.enabled = Boolean(input.enabled);
  const db = await getDb();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(applications)
      .set(values)
      .where(and(eq(applications.id, applicationId.toLowerCase()), eq(applications.environmentId, environmentId)))
      .returning(applicationColumns);
    if (!row) throw notFound("The application was not found.");
    await tx.insert(auditEvents).values(audit(actor, environmentId, "APPLICATION.UPDATED", "APPLICATION", row.id));
    return row;
  });
}

/** A fresh client secret; the old one stops working at once. Access tokens already issued run out on their own. */
export async function rotateApplicationSecret(
  actor: Actor,
  environmentId: string,
  applicationId: string,
): Promise<{ application: ApplicationSummary; clientSecret: string }> {
  await getApplication(actor, environmentId, applicationId);
  const { secret: clientSecret, secretHash } = await newClientSecret();
  const db = await getDb();
  const application = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(applications)
      .set({ secretHash, updatedAt: new Date() })
      .where(and(eq(applications.id, applicationId.toLowerCase()), eq(applications.environmentId, environmentId)))
      .returning(applicationColumns);
    if (!row) throw notFound("The application was not found.");
    await tx.insert(auditEvents).values(audit(actor, environmentId, "APPLICATION.SECRET_ROTATED", "APPLICATION", row.id));
    return row;
  });
  return { application, clientSecret };
}

export async function deleteApplication(actor: Actor, environmentId: string, applicationId: string): Promise<void> {
  await getApplication(actor, environmentId, applicationId);
  const db = await getDb();
  await db.transaction(async (tx) => {
    const deleted = await tx
      .delete(applications)
      .where(and(eq(applications.id, applicationId.toLowerCase()), eq(applications.environmentId, environmentId)))
      .returning({ id: applications.id });
    if (!deleted.length) throw notFound("The application was not found.");
    await tx.insert(auditEvents).values(audit(actor, environmentId, "APPLICATION.DELETED", "APPLICATION", deleted[0]!.id));
  });
}

// ---------------------------------------------------------------------------------------------
// Role assignments

export type RoleSubject = { userId: string } | { applicationId: string };
export type RoleScope = { type: ScopeType; id: string };

export type RoleAssignmentView = {
  id: string;
  role: RoleName;
  subject: { type: "USER"; id: string; name: string } | { type: "APPLICATION"; id: string; name: string };
  scope: { type: ScopeType; id: string; environmentId: string | null; name: string | null };
  createdAt: Date;
};

/** Roles whose permissions each role includes (lib/access GRANTS: each is a superset of the next). */
const INCLUDES: Record<RoleName, readonly RoleName[]> = {
  ENVIRONMENT_ADMIN: ["ENVIRONMENT_ADMIN", "IDENTITY_DATA_ADMIN", "IDENTITY_DATA_READ_ONLY"],
  IDENTITY_DATA_ADMIN: ["IDENTITY_DATA_ADMIN", "IDENTITY_DATA_READ_ONLY"],
  IDENTITY_DATA_READ_ONLY: ["IDENTITY_DATA_READ_ONLY"],
};

/**
 * Whether `held` (an actor's assignment) covers `target`: a role with at least the target role's
 * permissions, over the same scope or a wider one containing it. Nobody can hand out more than
 * they hold themselves.
 */
function covers(
  held: { role: RoleName; scopeType: ScopeType; scopeId: string; environmentId: string | null },
  target: { role: RoleName; scopeType: ScopeType; scopeId: string; environmentId: string | null },
): boolean {
  if (!INCLUDES[held.role]?.includes(target.role)) return false;
  if (held.scopeType === "ORGANIZATION") return true;
  if (held.scopeType === "ENVIRONMENT") return target.scopeType !== "ORGANIZATION" && target.environmentId === held.scopeId;
  return target.scopeType === "POPULATION" && target.scopeId === held.scopeId;
}

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
  const target = { role: input.role, ...scope };
  if (!actor.assignments.some((held) => covers(held, target))) {
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
    await tx.insert(auditEvents).values(
      audit(actor, environmentId, "ROLE_ASSIGNMENT.CREATED", "ROLE_ASSIGNMENT", id, { role: input.role, scope: { type: scope.scopeType, id: scope.scopeId } }),
    );
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
  if (!actor.assignments.some((held) => covers(held, target))) {
    throw forbidden("You can remove only a role whose permissions you hold yourself over the same scope or a wider one.");
  }
  await db.transaction(async (tx) => {
    await tx.delete(roleAssignments).where(eq(roleAssignments.id, row.id));
    await tx.insert(auditEvents).values(audit(actor, environmentId, "ROLE_ASSIGNMENT.DELETED", "ROLE_ASSIGNMENT", row.id, { role: row.role }));
  });
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

import type { RoleName, ScopeType } from "@/db/schema";
import { forbidden } from "@/lib/api/errors";

/**
 * The one access check (spec 6), used by every entry point: route handlers, server actions and
 * bulk jobs. An actor holds the union of its role assignments. Two questions, both answered
 * here and nowhere else:
 *  - reach: where does the actor hold a permission (requirePopulationAccess, requireEnvironmentAccess);
 *  - cover: does the actor hold at least what a target holds (requireCovers), so that nobody
 *    grants, removes, or acts on a user or application with more rights than their own.
 */
export type Assignment = {
  role: RoleName;
  scopeType: ScopeType;
  scopeId: string;
  /** The environment of an ENVIRONMENT or POPULATION scope; null for ORGANIZATION. */
  environmentId: string | null;
};

export type Via = "API" | "CONSOLE" | "BULK";

export type Actor = {
  type: "APPLICATION" | "USER";
  id: string;
  assignments: Assignment[];
  via: Via;
};

export type Permission = "users:write" | "users:read" | "environment:manage" | "environment:read";

export const GRANTS: Record<RoleName, readonly Permission[]> = {
  ENVIRONMENT_ADMIN: ["environment:manage", "environment:read", "users:write", "users:read"],
  IDENTITY_DATA_ADMIN: ["environment:read", "users:write", "users:read"],
  IDENTITY_DATA_READ_ONLY: ["environment:read", "users:read"],
};

/**
 * Permissions that mean the whole environment (populations, providers, gateways, applications,
 * role assignments): a POPULATION scope never grants them, whatever the role (finding F3).
 */
const ENVIRONMENT_WIDE: readonly Permission[] = ["environment:manage"];

/** Scopes a role may be assigned over: Environment Admin means a whole environment (or all of them). */
export const ROLE_SCOPES: Record<RoleName, readonly ScopeType[]> = {
  ENVIRONMENT_ADMIN: ["ORGANIZATION", "ENVIRONMENT"],
  IDENTITY_DATA_ADMIN: ["ORGANIZATION", "ENVIRONMENT", "POPULATION"],
  IDENTITY_DATA_READ_ONLY: ["ORGANIZATION", "ENVIRONMENT", "POPULATION"],
};

export const ROLE_LABELS: Record<RoleName, string> = {
  ENVIRONMENT_ADMIN: "Environment Admin",
  IDENTITY_DATA_ADMIN: "Identity Data Admin",
  IDENTITY_DATA_READ_ONLY: "Identity Data Read Only",
};

/** Where in one environment an actor holds a permission: everywhere, some populations, or nowhere. */
export type Reach = { all: true } | { all: false; populations: ReadonlySet<string> };

export function reach(actor: Actor, permission: Permission, environmentId: string): Reach | null {
  const populations = new Set<string>();
  for (const a of actor.assignments) {
    if (!GRANTS[a.role]?.includes(permission)) continue;
    if (a.scopeType === "ORGANIZATION") return { all: true };
    if (a.environmentId !== environmentId) continue;
    if (a.scopeType === "ENVIRONMENT") return { all: true };
    if (a.scopeType === "POPULATION" && !ENVIRONMENT_WIDE.includes(permission)) populations.add(a.scopeId);
  }
  return populations.size > 0 ? { all: false, populations } : null;
}

export function reaches(r: Reach | null, populationId: string): boolean {
  return r !== null && (r.all || r.populations.has(populationId));
}

/**
 * Throws 403 unless the actor holds `permission` for that population (or the whole
 * environment). It looks only at the assignment, never at the database, so a caller scoped to
 * other populations learns nothing about whether the target population exists.
 */
export function requirePopulationAccess(actor: Actor, permission: Permission, environmentId: string, populationId: string): void {
  if (!reaches(reach(actor, permission, environmentId), populationId)) throw forbidden();
}

export function requireEnvironmentAccess(actor: Actor, permission: Permission, environmentId: string): Reach {
  const r = reach(actor, permission, environmentId);
  if (!r) throw forbidden();
  return r;
}

/** Environments in which the actor holds any role: "all" for an organization-wide assignment. */
export function visibleEnvironments(actor: Actor): "all" | Set<string> {
  const ids = new Set<string>();
  for (const a of actor.assignments) {
    if (a.scopeType === "ORGANIZATION") return "all";
    if (a.environmentId) ids.add(a.environmentId);
  }
  return ids;
}

/** Whether `held` has every permission of `target` (derived from GRANTS, so it cannot drift). */
function roleIncludes(held: RoleName, target: RoleName): boolean {
  const grants = GRANTS[held];
  return !!grants && GRANTS[target].every((p) => grants.includes(p));
}

/** Whether scope `held` contains scope `target` (the same scope, or a wider one). */
function scopeContains(held: Assignment, target: Assignment): boolean {
  if (held.scopeType === "ORGANIZATION") return true;
  if (held.scopeType === "ENVIRONMENT") return target.scopeType !== "ORGANIZATION" && target.environmentId === held.scopeId;
  return target.scopeType === "POPULATION" && target.scopeId === held.scopeId;
}

/**
 * Whether one assignment covers another: a role with at least the target role's permissions over
 * the same scope or a wider one. A POPULATION-scoped Environment Admin (which may exist from
 * before such assignments were refused) covers only what an Identity Data Admin of that
 * population would, never another Environment Admin.
 */
export function covers(held: Assignment, target: Assignment): boolean {
  if (!scopeContains(held, target)) return false;
  if (held.scopeType === "POPULATION" && held.role === "ENVIRONMENT_ADMIN") return roleIncludes("IDENTITY_DATA_ADMIN", target.role);
  return roleIncludes(held.role, target.role);
}

/** Whether the actor's assignments cover every one of `targets` (a user's or an application's). */
export function coversAll(actor: Actor, targets: readonly Assignment[]): boolean {
  return targets.every((t) => actor.assignments.some((held) => covers(held, t)));
}

/**
 * Nobody acts on a user or an application that holds more than they do (findings F1, F2): a
 * write on such a subject (its password, profile, lifecycle, secret, existence) needs the
 * actor's assignments to cover every one of the subject's. One rule, used by every such operation.
 */
export function requireCovers(actor: Actor, targets: readonly Assignment[], what: "user" | "application"): void {
  if (!coversAll(actor, targets)) {
    throw forbidden(
      what === "user"
        ? "The user holds roles that you do not hold yourself: only an administrator whose roles cover theirs may change this user."
        : "The application holds roles that you do not hold yourself: only an administrator whose roles cover its roles may change it.",
    );
  }
}

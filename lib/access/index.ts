import type { RoleName, ScopeType } from "@/db/schema";
import { forbidden } from "@/lib/api/errors";

/**
 * The one access check (spec 6), used by every entry point: route handlers, server actions and
 * bulk jobs. An actor holds the union of its role assignments.
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

const GRANTS: Record<RoleName, readonly Permission[]> = {
  ENVIRONMENT_ADMIN: ["environment:manage", "environment:read", "users:write", "users:read"],
  IDENTITY_DATA_ADMIN: ["environment:read", "users:write", "users:read"],
  IDENTITY_DATA_READ_ONLY: ["environment:read", "users:read"],
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
    if (a.scopeType === "POPULATION") populations.add(a.scopeId);
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

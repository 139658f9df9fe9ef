import "server-only";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { preparedOn } from "@/db/prepared";
import {
  applications,
  environments,
  identityProviders,
  populations,
  roleAssignments,
  type IdentityProviderType,
  type RoleName,
  type ScopeType,
} from "@/db/schema";
import { requireEnvironmentAccess, visibleEnvironments, type Actor } from "@/lib/access";
import { notFound } from "@/lib/api/errors";
import { isUuid, uuidv7 } from "@/lib/ids";
import { clientSecret } from "@/lib/applications/client-secret";

/**
 * The part of rule 2 that needs no query: an environment id from a URL, in the form it is
 * stored (a UUID sent in capitals names the same environment), or 404 when it is no UUID at all.
 */
export function environmentIdFrom(param: string): string {
  if (!isUuid(param)) throw notFound("The environment was not found.");
  return param.toLowerCase();
}

/**
 * Rule 2: the environment exists (404 otherwise). Says nothing about access. Callers go on with
 * the id it returns, as stored.
 */
export async function requireEnvironment(environmentId: string): Promise<{ id: string; name: string }> {
  const id = environmentIdFrom(environmentId);
  const db = await getDb();
  // Every environment-scoped request asks this first: prepared once per database handle.
  const query = preparedOn(db, "require_environment", (d) =>
    d.select({ id: environments.id, name: environments.name }).from(environments).where(eq(environments.id, sql.placeholder("id"))).prepare("require_environment"),
  );
  const [env] = await query.execute({ id });
  if (!env) throw notFound("The environment was not found.");
  return env;
}

/** One environment the actor holds a role in; 404 otherwise, so that others learn nothing. */
export async function getEnvironment(actor: Actor, environmentId: string) {
  if (!isUuid(environmentId)) throw notFound("The environment was not found.");
  const visible = visibleEnvironments(actor);
  if (visible !== "all" && !visible.has(environmentId.toLowerCase())) throw notFound("The environment was not found.");
  const db = await getDb();
  const [env] = await db
    .select({ id: environments.id, organizationId: environments.organizationId, name: environments.name, description: environments.description, createdAt: environments.createdAt })
    .from(environments)
    .where(eq(environments.id, environmentId));
  if (!env) throw notFound("The environment was not found.");
  return env;
}

export async function listEnvironments(actor: Actor) {
  const db = await getDb();
  const visible = visibleEnvironments(actor);
  if (visible !== "all" && visible.size === 0) return [];
  const rows = await db
    .select({ id: environments.id, organizationId: environments.organizationId, name: environments.name, description: environments.description, createdAt: environments.createdAt })
    .from(environments)
    .where(visible === "all" ? undefined : inArray(environments.id, [...visible]))
    .orderBy(asc(environments.createdAt), asc(environments.id));
  return rows;
}

export async function listPopulations(actor: Actor, environmentId: string) {
  requireEnvironmentAccess(actor, "environment:read", environmentId);
  const db = await getDb();
  return db
    .select({ id: populations.id, name: populations.name, description: populations.description, isDefault: populations.isDefault, createdAt: populations.createdAt, updatedAt: populations.updatedAt })
    .from(populations)
    .where(eq(populations.environmentId, environmentId))
    .orderBy(asc(populations.createdAt), asc(populations.id));
}

/** One population of the environment (environment:read, as the list); 404 otherwise. */
export async function getPopulation(actor: Actor, environmentId: string, populationId: string) {
  requireEnvironmentAccess(actor, "environment:read", environmentId);
  if (!isUuid(populationId)) throw notFound("The population was not found.");
  const db = await getDb();
  const [row] = await db
    .select({ id: populations.id, name: populations.name, description: populations.description, isDefault: populations.isDefault, createdAt: populations.createdAt, updatedAt: populations.updatedAt })
    .from(populations)
    .where(and(eq(populations.environmentId, environmentId), eq(populations.id, populationId.toLowerCase())));
  if (!row) throw notFound("The population was not found.");
  return row;
}

/** One identity provider of the environment; 404 otherwise. */
export async function getIdentityProvider(actor: Actor, environmentId: string, providerId: string) {
  requireEnvironmentAccess(actor, "environment:read", environmentId);
  if (!isUuid(providerId)) throw notFound("The identity provider was not found.");
  const db = await getDb();
  const [row] = await db
    .select({ id: identityProviders.id, type: identityProviders.type, name: identityProviders.name, enabled: identityProviders.enabled, createdAt: identityProviders.createdAt, updatedAt: identityProviders.updatedAt })
    .from(identityProviders)
    .where(and(eq(identityProviders.environmentId, environmentId), eq(identityProviders.id, providerId.toLowerCase())));
  if (!row) throw notFound("The identity provider was not found.");
  return row;
}

export async function listIdentityProviders(actor: Actor, environmentId: string) {
  requireEnvironmentAccess(actor, "environment:read", environmentId);
  const db = await getDb();
  return db
    .select({ id: identityProviders.id, type: identityProviders.type, name: identityProviders.name, enabled: identityProviders.enabled, createdAt: identityProviders.createdAt, updatedAt: identityProviders.updatedAt })
    .from(identityProviders)
    .where(eq(identityProviders.environmentId, environmentId))
    .orderBy(asc(identityProviders.createdAt), asc(identityProviders.id));
}

// Writers used by first-start bootstrap (and, behind actor checks, by the console later).

export async function insertEnvironment(db: Executor, v: { id?: string; organizationId: string; name: string; description?: string }) {
  const id = v.id ?? uuidv7();
  await db.insert(environments).values({ id, organizationId: v.organizationId, name: v.name, description: v.description ?? null });
  return id;
}

export async function insertPopulation(db: Executor, v: { environmentId: string; name: string; isDefault?: boolean; description?: string }) {
  const id = uuidv7();
  await db.insert(populations).values({ id, environmentId: v.environmentId, name: v.name, isDefault: v.isDefault ?? false, description: v.description ?? null });
  return id;
}

export async function insertIdentityProvider(db: Executor, v: { environmentId: string; type: IdentityProviderType; name: string }) {
  const id = uuidv7();
  await db.insert(identityProviders).values({ id, environmentId: v.environmentId, type: v.type, name: v.name });
  return id;
}

/** A worker application; the secret is returned once and only its argon2id hash is kept. */
export async function insertApplication(db: Executor, v: { id?: string; environmentId: string; name: string; secret?: string }) {
  const id = v.id ?? uuidv7();
  const { secret, secretHash } = await clientSecret(v.secret);
  await db.insert(applications).values({ id, environmentId: v.environmentId, name: v.name, secretHash });
  return { id, secret };
}

export async function insertRoleAssignment(
  db: Executor,
  v: { role: RoleName; subject: { userId: string } | { applicationId: string }; scopeType: ScopeType; scopeId: string; scopeEnvironmentId: string | null },
) {
  const id = uuidv7();
  await db.insert(roleAssignments).values({
    id,
    role: v.role,
    userId: "userId" in v.subject ? v.subject.userId : null,
    applicationId: "applicationId" in v.subject ? v.subject.applicationId : null,
    scopeType: v.scopeType,
    scopeId: v.scopeId,
    scopeEnvironmentId: v.scopeEnvironmentId,
  });
  return id;
}

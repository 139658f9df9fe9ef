import "server-only";
import { and, count, eq } from "drizzle-orm";
import { getDb, type Tx } from "@/db";
import {
  IDENTITY_PROVIDER_TYPES,
  environments,
  identityProviders,
  populations,
  users,
  type IdentityProviderType,
} from "@/db/schema";
import { requireEnvironmentAccess, type Actor } from "@/lib/access";
import { driverError, invalidData, notFound, requestFailed } from "@/lib/api/errors";
import { recordAudit } from "@/lib/audit";
import { isUuid, uuidv7 } from "@/lib/ids";

/**
 * Writes of the environment's own resources (populations and identity providers; gateways are
 * in lib/gateways): one domain function per operation, each requiring ENVIRONMENT_ADMIN
 * (`environment:manage`) on the environment and writing an audit event in the same transaction.
 */

function manage(actor: Actor, environmentId: string) {
  requireEnvironmentAccess(actor, "environment:manage", environmentId);
}

function name(raw: unknown, target = "name", max = 256): string {
  const v = typeof raw === "string" ? raw.trim() : "";
  if (!v) throw invalidData([{ code: "REQUIRED_VALUE", target, message: "A name is required." }]);
  if ([...v].length > max) throw invalidData([{ code: "SIZE_LIMIT_EXCEEDED", target, message: `Must be at most ${max} characters.` }]);
  if (v.includes("\u0000")) throw invalidData([{ code: "INVALID_VALUE", target, message: "Must not contain NUL characters." }]);
  return v;
}

function optionalText(raw: unknown, target: string, max = 1024): string | null {
  if (raw === undefined || raw === null) return null;
  const v = String(raw).trim();
  if (!v) return null;
  if ([...v].length > max) throw invalidData([{ code: "SIZE_LIMIT_EXCEEDED", target, message: `Must be at most ${max} characters.` }]);
  return v;
}

async function audited<T>(actor: Actor, environmentId: string, action: string, resourceType: string, work: (tx: Tx) => Promise<{ id: string; result: T }>): Promise<T> {
  const db = await getDb();
  return db.transaction(async (tx) => {
    const { id, result } = await work(tx);
    await recordAudit(tx, actor, environmentId, action, { type: resourceType, id });
    return result;
  });
}

function uuidOr404(id: string, what: string): string {
  if (!isUuid(id)) throw notFound(`The ${what} was not found.`);
  return id.toLowerCase();
}

// Populations ---------------------------------------------------------------------------------

export type PopulationInput = { name: string; description?: string | null; isDefault?: boolean };

function populationWriteError(err: unknown): unknown {
  const d = driverError(err);
  if (d?.code === "23505" && d.constraint === "populations_env_name_uq") {
    return invalidData([{ code: "UNIQUENESS_VIOLATION", target: "name", message: "A population with this name already exists in the environment." }]);
  }
  return err;
}

/**
 * The first half of moving the default: the current default stops being it. Changes of the
 * default are serialised per environment (a lock on its row), so that two concurrent ones end
 * with exactly one default, the later one's, instead of one of them failing on the unique index.
 */
async function moveDefaultAway(tx: Tx, environmentId: string): Promise<void> {
  await tx.select({ id: environments.id }).from(environments).where(eq(environments.id, environmentId)).for("update");
  await tx.update(populations).set({ isDefault: false, updatedAt: new Date() }).where(and(eq(populations.environmentId, environmentId), eq(populations.isDefault, true)));
}

export async function createPopulation(actor: Actor, environmentId: string, input: PopulationInput) {
  manage(actor, environmentId);
  const values = { name: name(input.name), description: optionalText(input.description, "description") };
  try {
    return await audited(actor, environmentId, "POPULATION.CREATED", "POPULATION", async (tx) => {
      const id = uuidv7();
      if (input.isDefault) await moveDefaultAway(tx, environmentId);
      const [row] = await tx.insert(populations).values({ id, environmentId, ...values, isDefault: Boolean(input.isDefault) }).returning();
      return { id, result: row! };
    });
  } catch (err) {
    throw populationWriteError(err);
  }
}

export async function updatePopulation(actor: Actor, environmentId: string, populationId: string, input: PopulationInput) {
  manage(actor, environmentId);
  const id = uuidOr404(populationId, "population");
  const values = { name: name(input.name), description: optionalText(input.description, "description") };
  try {
    return await audited(actor, environmentId, "POPULATION.UPDATED", "POPULATION", async (tx) => {
      const [current] = await tx.select({ isDefault: populations.isDefault }).from(populations).where(and(eq(populations.id, id), eq(populations.environmentId, environmentId)));
      if (!current) throw notFound("The population was not found.");
      // The default moves here; it cannot be taken away without naming another one.
      const makeDefault = Boolean(input.isDefault) && !current.isDefault;
      if (makeDefault) await moveDefaultAway(tx, environmentId);
      const [row] = await tx
        .update(populations)
        .set({ ...values, ...(makeDefault ? { isDefault: true } : {}), updatedAt: new Date() })
        .where(and(eq(populations.id, id), eq(populations.environmentId, environmentId)))
        .returning();
      return { id, result: row! };
    });
  } catch (err) {
    throw populationWriteError(err);
  }
}

export async function deletePopulation(actor: Actor, environmentId: string, populationId: string): Promise<void> {
  manage(actor, environmentId);
  const id = uuidOr404(populationId, "population");
  try {
    await audited(actor, environmentId, "POPULATION.DELETED", "POPULATION", async (tx) => {
      const [current] = await tx.select({ isDefault: populations.isDefault }).from(populations).where(and(eq(populations.id, id), eq(populations.environmentId, environmentId)));
      if (!current) throw notFound("The population was not found.");
      if (current.isDefault) throw requestFailed("The default population cannot be deleted: make another population the default first.");
      const [held] = await tx.select({ n: count() }).from(users).where(and(eq(users.environmentId, environmentId), eq(users.populationId, id)));
      if (held && held.n > 0) throw populationHoldsUsers(Number(held.n));
      await tx.delete(populations).where(and(eq(populations.id, id), eq(populations.environmentId, environmentId)));
      return { id, result: undefined };
    });
  } catch (err) {
    // A user added between the count and the delete: the foreign key refuses it.
    if (driverError(err)?.code === "23503") throw populationHoldsUsers(null);
    throw err;
  }
}

function populationHoldsUsers(n: number | null) {
  const what = n === null ? "users" : n === 1 ? "1 user" : `${n} users`;
  return requestFailed(`The population still holds ${what}: move or delete them first.`);
}

// Identity providers --------------------------------------------------------------------------

export type IdentityProviderInput = { name: string; type: string; enabled?: boolean };

function idpType(raw: unknown): IdentityProviderType {
  if (typeof raw === "string" && (IDENTITY_PROVIDER_TYPES as readonly string[]).includes(raw)) return raw as IdentityProviderType;
  throw invalidData([{ code: "INVALID_VALUE", target: "type", message: `The type must be one of ${IDENTITY_PROVIDER_TYPES.join(", ")}.` }]);
}

export async function createIdentityProvider(actor: Actor, environmentId: string, input: IdentityProviderInput) {
  manage(actor, environmentId);
  const values = { name: name(input.name), type: idpType(input.type), enabled: input.enabled ?? true };
  return audited(actor, environmentId, "IDENTITY_PROVIDER.CREATED", "IDENTITY_PROVIDER", async (tx) => {
    const id = uuidv7();
    const [row] = await tx.insert(identityProviders).values({ id, environmentId, ...values }).returning();
    return { id, result: row! };
  });
}

export async function updateIdentityProvider(actor: Actor, environmentId: string, providerId: string, input: IdentityProviderInput) {
  manage(actor, environmentId);
  const id = uuidOr404(providerId, "identity provider");
  const values = { name: name(input.name), type: idpType(input.type), enabled: input.enabled ?? true };
  return audited(actor, environmentId, "IDENTITY_PROVIDER.UPDATED", "IDENTITY_PROVIDER", async (tx) => {
    const [row] = await tx
      .update(identityProviders)
      .set({ ...values, updatedAt: new Date() })
      .where(and(eq(identityProviders.id, id), eq(identityProviders.environmentId, environmentId)))
      .returning();
    if (!row) throw notFound("The identity provider was not found.");
    return { id, result: row };
  });
}

export async function deleteIdentityProvider(actor: Actor, environmentId: string, providerId: string): Promise<void> {
  manage(actor, environmentId);
  const id = uuidOr404(providerId, "identity provider");
  try {
    await audited(actor, environmentId, "IDENTITY_PROVIDER.DELETED", "IDENTITY_PROVIDER", async (tx) => {
      const gone = await tx.delete(identityProviders).where(and(eq(identityProviders.id, id), eq(identityProviders.environmentId, environmentId))).returning({ id: identityProviders.id });
      if (!gone.length) throw notFound("The identity provider was not found.");
      return { id, result: undefined };
    });
  } catch (err) {
    if (driverError(err)?.code === "23503") throw requestFailed("Users still sign in with this identity provider: it cannot be deleted.");
    throw err;
  }
}

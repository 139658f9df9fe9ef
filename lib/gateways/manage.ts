import "server-only";
import type { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { and, asc, eq, inArray, notInArray, sql } from "drizzle-orm";
import { getDb, type Executor, type Tx } from "@/db";
import { gatewayUserTypes, gateways, populations, users, type GatewayRow, type GatewayUserTypeRow } from "@/db/schema";
import { requireEnvironmentAccess, type Actor } from "@/lib/access";
import { forbidden, invalidData, notFound, type ErrorDetail } from "@/lib/api/errors";
import { isUuid, uuidv7 } from "@/lib/ids";
import { openSecret, sealSecret } from "@/lib/secrets";
import { parseOrInvalid } from "@/lib/api/validation";
import { storedPasswordColumns } from "@/lib/users/stored-password";
import { closeDirectory, type DirectorySettings } from "./directory";
import { gatewaySchema, userTypeSchema, type GatewayInput, type UserTypeInput } from "./schema";

/**
 * The gateway resource (spec 5.1): one domain function per operation, called by the API routes
 * and the console's server actions alike. Writes need Environment Admin over the whole
 * environment (a gateway holds a service account that reaches every user it links) and write an
 * audit event in the same transaction. The bind password is sealed before it reaches a
 * transaction and never comes back out of this module except to lib/gateways/directory.ts.
 */

export type GatewayUserTypeView = Omit<GatewayUserTypeRow, "gatewayId">;
export type GatewayView = Omit<GatewayRow, "bindPasswordCiphertext"> & { hasBindPassword: boolean; userTypes: GatewayUserTypeView[] };

function manage(actor: Actor, environmentId: string): void {
  const r = requireEnvironmentAccess(actor, "environment:manage", environmentId);
  if (!r.all) throw forbidden("Managing gateways needs Environment Admin over the whole environment.");
}

function idOr404(id: string, what: string): string {
  if (!isUuid(id)) throw notFound(`The ${what} was not found.`);
  return id.toLowerCase();
}

const bindPasswordContext = (gatewayId: string) => `gateway:${gatewayId}:bindPassword`;

export class UnreadableBindPassword extends Error {
  constructor() {
    super("The stored bind password cannot be read with this server's key (GATEWAY_SECRET_KEY changed?): set it again.");
  }
}

/** What lib/gateways/directory.ts connects with: the row's connection fields, the bind password opened. */
export async function directorySettingsOf(
  g: Pick<GatewayRow, "id" | "version" | "servers" | "connectionSecurity" | "validateTlsCertificates" | "bindDn" | "bindPasswordCiphertext">,
): Promise<DirectorySettings> {
  let bindPassword: string | null = null;
  if (g.bindPasswordCiphertext) {
    try {
      bindPassword = await openSecret(g.bindPasswordCiphertext, bindPasswordContext(g.id));
    } catch {
      throw new UnreadableBindPassword();
    }
  }
  return {
    gatewayId: g.id,
    version: g.version,
    servers: g.servers,
    connectionSecurity: g.connectionSecurity,
    validateTlsCertificates: g.validateTlsCertificates,
    bindDn: g.bindDn,
    bindPassword,
  };
}

const gatewayColumns = {
  id: gateways.id,
  environmentId: gateways.environmentId,
  type: gateways.type,
  name: gateways.name,
  description: gateways.description,
  enabled: gateways.enabled,
  servers: gateways.servers,
  bindDn: gateways.bindDn,
  hasBindPassword: sql<boolean>`${gateways.bindPasswordCiphertext} is not null`,
  connectionSecurity: gateways.connectionSecurity,
  validateTlsCertificates: gateways.validateTlsCertificates,
  vendor: gateways.vendor,
  version: gateways.version,
  createdAt: gateways.createdAt,
  updatedAt: gateways.updatedAt,
};

async function loadGateways(db: Executor, environmentId: string, gatewayId?: string): Promise<GatewayView[]> {
  const gws = await db
    .select(gatewayColumns)
    .from(gateways)
    .where(and(eq(gateways.environmentId, environmentId), gatewayId ? eq(gateways.id, gatewayId) : undefined))
    .orderBy(asc(gateways.createdAt), asc(gateways.id));
  if (!gws.length) return [];
  const types = await db
    .select()
    .from(gatewayUserTypes)
    .where(inArray(gatewayUserTypes.gatewayId, gws.map((g) => g.id)))
    .orderBy(asc(gatewayUserTypes.createdAt), asc(gatewayUserTypes.id));
  return gws.map((g) => ({
    ...g,
    hasBindPassword: Boolean(g.hasBindPassword),
    userTypes: types.filter((t) => t.gatewayId === g.id).map(({ gatewayId: _gatewayId, ...t }) => t),
  }));
}

export async function listGateways(actor: Actor, environmentId: string): Promise<GatewayView[]> {
  requireEnvironmentAccess(actor, "environment:read", environmentId);
  return loadGateways(await getDb(), environmentId);
}

export async function getGateway(actor: Actor, environmentId: string, gatewayId: string): Promise<GatewayView> {
  requireEnvironmentAccess(actor, "environment:read", environmentId);
  const [g] = await loadGateways(await getDb(), environmentId, idOr404(gatewayId, "gateway"));
  if (!g) throw notFound("The gateway was not found.");
  return g;
}

function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw invalidData([{ code: "INVALID_VALUE", target: "body", message: "The body must be a JSON object." }]);
  }
  return parseOrInvalid(schema, body);
}

/** newUserLookup.population.id names a population of this environment (rule 6's check, for user types). */
async function checkPopulations(db: Executor, environmentId: string, types: { input: UserTypeInput; target: string }[]): Promise<void> {
  const wanted = types.filter((t) => t.input.newUserLookup?.population?.id);
  if (!wanted.length) return;
  const ids = [...new Set(wanted.map((t) => t.input.newUserLookup!.population!.id.toLowerCase()))];
  const found = new Set(
    (await db.select({ id: populations.id }).from(populations).where(and(eq(populations.environmentId, environmentId), inArray(populations.id, ids)))).map((p) => p.id),
  );
  const problems: ErrorDetail[] = wanted
    .filter((t) => !found.has(t.input.newUserLookup!.population!.id.toLowerCase()))
    .map((t) => ({ code: "INVALID_VALUE", target: `${t.target}newUserLookup.population.id`, message: "No population with this id exists in the environment." }));
  if (problems.length) throw invalidData(problems);
}

function userTypeValues(input: UserTypeInput) {
  return {
    name: input.name,
    passwordAuthority: input.passwordAuthority,
    searchBaseDn: input.searchBaseDn,
    orderedCorrelationAttributes: input.orderedCorrelationAttributes,
    allowPasswordChanges: input.allowPasswordChanges,
    updateUserOnSuccessfulAuthentication: input.updateUserOnSuccessfulAuthentication,
    newUserLookup: input.newUserLookup
      ? {
          ldapFilterPattern: input.newUserLookup.ldapFilterPattern,
          populationId: input.newUserLookup.population?.id.toLowerCase() ?? null,
          attributeMappings: input.newUserLookup.attributeMappings,
        }
      : null,
  };
}

/**
 * Spec 5.3: a user type moving from PING_ONE to LDAP authority gives its linked users' passwords
 * back to the directory: their stored hashes are removed and they are EXTERNAL again. (From LDAP
 * to PING_ONE nothing is written: each user migrates at the next successful check.)
 */
async function returnPasswordsToDirectory(tx: Tx, environmentId: string, gatewayId: string, userTypeId: string): Promise<number> {
  const changed = await tx
    .update(users)
    .set({ ...storedPasswordColumns(null), passwordStatus: "EXTERNAL", passwordChangedAt: null, updatedAt: new Date() })
    .where(
      and(
        eq(users.environmentId, environmentId),
        sql`${users.externalPassword}->>'gatewayId' = ${gatewayId}`,
        sql`${users.externalPassword}->>'userTypeId' = ${userTypeId}`,
      ),
    )
    .returning({ id: users.id });
  return changed.length;
}

async function writeUserType(tx: Tx, environmentId: string, gatewayId: string, input: UserTypeInput, existing: GatewayUserTypeRow | undefined): Promise<{ id: string; passwordsReturned: number }> {
  const values = userTypeValues(input);
  if (!existing) {
    const id = uuidv7();
    await tx.insert(gatewayUserTypes).values({ id, gatewayId, ...values });
    return { id, passwordsReturned: 0 };
  }
  await tx.update(gatewayUserTypes).set({ ...values, updatedAt: new Date() }).where(eq(gatewayUserTypes.id, existing.id));
  const passwordsReturned =
    existing.passwordAuthority === "PING_ONE" && values.passwordAuthority === "LDAP" ? await returnPasswordsToDirectory(tx, environmentId, gatewayId, existing.id) : 0;
  return { id: existing.id, passwordsReturned };
}

function audit(tx: Tx, actor: Actor, environmentId: string, action: string, resourceType: string, resourceId: string, details: Record<string, unknown> = {}) {
  return recordAudit(tx, actor, environmentId, action, { type: resourceType, id: resourceId }, details);
}

function gatewayValues(input: GatewayInput) {
  return {
    name: input.name,
    description: input.description,
    type: input.type,
    enabled: input.enabled,
    servers: input.servers,
    bindDn: input.bindDN,
    connectionSecurity: input.connectionSecurity,
    validateTlsCertificates: input.validateTlsCertificates,
    vendor: input.vendor,
  };
}

export async function createGateway(actor: Actor, environmentId: string, body: unknown): Promise<GatewayView> {
  manage(actor, environmentId);
  const input = parse(gatewaySchema, body);
  const db = await getDb();
  const userTypes = input.userTypes ?? [];
  await checkPopulations(db, environmentId, userTypes.map((t, i) => ({ input: t, target: `userTypes.${i}.` })));
  const id = uuidv7();
  const bindPasswordCiphertext = input.bindPassword ? await sealSecret(input.bindPassword, bindPasswordContext(id)) : null;
  await db.transaction(async (tx) => {
    await tx.insert(gateways).values({ id, environmentId, ...gatewayValues(input), bindPasswordCiphertext });
    for (const t of userTypes) await writeUserType(tx, environmentId, id, t, undefined);
    await audit(tx, actor, environmentId, "GATEWAY.CREATED", "GATEWAY", id, { bindPasswordSet: Boolean(bindPasswordCiphertext) });
  });
  const [view] = await loadGateways(db, environmentId, id);
  return view!;
}

/**
 * PUT: the gateway's fields as sent. `bindPassword` left out or null keeps the stored one, an
 * empty string removes it. `userTypes` left out keeps them; sent, they become exactly these: an
 * item with the id of an existing user type updates it, one without an id is added, and the
 * user types not named are deleted.
 */
export async function updateGateway(actor: Actor, environmentId: string, gatewayId: string, body: unknown): Promise<GatewayView> {
  manage(actor, environmentId);
  const id = idOr404(gatewayId, "gateway");
  const input = parse(gatewaySchema, body);
  const db = await getDb();
  if (input.userTypes) await checkPopulations(db, environmentId, input.userTypes.map((t, i) => ({ input: t, target: `userTypes.${i}.` })));
  const sealed = input.bindPassword ? await sealSecret(input.bindPassword, bindPasswordContext(id)) : input.bindPassword === "" ? null : undefined;
  await db.transaction(async (tx) => {
    const [row] = await tx
      .update(gateways)
      .set({ ...gatewayValues(input), ...(sealed !== undefined ? { bindPasswordCiphertext: sealed } : {}), version: sql`${gateways.version} + 1`, updatedAt: new Date() })
      .where(and(eq(gateways.id, id), eq(gateways.environmentId, environmentId)))
      .returning({ id: gateways.id });
    if (!row) throw notFound("The gateway was not found.");
    let passwordsReturned = 0;
    if (input.userTypes) {
      const existing = await tx.select().from(gatewayUserTypes).where(eq(gatewayUserTypes.gatewayId, id)).for("update");
      const byId = new Map(existing.map((t) => [t.id, t]));
      const unknown = input.userTypes.map((t, i) => ({ t, i })).filter(({ t }) => t.id && !byId.has(t.id.toLowerCase()));
      if (unknown.length) {
        throw invalidData(unknown.map(({ i }) => ({ code: "INVALID_VALUE" as const, target: `userTypes.${i}.id`, message: "The gateway has no user type with this id: leave id out to add one." })));
      }
      const kept: string[] = [];
      for (const t of input.userTypes) {
        const r = await writeUserType(tx, environmentId, id, t, t.id ? byId.get(t.id.toLowerCase()) : undefined);
        kept.push(r.id);
        passwordsReturned += r.passwordsReturned;
      }
      await tx.delete(gatewayUserTypes).where(and(eq(gatewayUserTypes.gatewayId, id), kept.length ? notInArray(gatewayUserTypes.id, kept) : undefined));
    }
    await audit(tx, actor, environmentId, "GATEWAY.UPDATED", "GATEWAY", id, {
      bindPasswordChanged: sealed !== undefined,
      ...(passwordsReturned ? { passwordsReturnedToDirectory: passwordsReturned } : {}),
    });
  });
  const [view] = await loadGateways(db, environmentId, id);
  return view!;
}

/** Users linked to the gateway keep their stored link; their checks then fail until re-linked. */
export async function deleteGateway(actor: Actor, environmentId: string, gatewayId: string): Promise<void> {
  manage(actor, environmentId);
  const id = idOr404(gatewayId, "gateway");
  const db = await getDb();
  await db.transaction(async (tx) => {
    const gone = await tx.delete(gateways).where(and(eq(gateways.id, id), eq(gateways.environmentId, environmentId))).returning({ id: gateways.id });
    if (!gone.length) throw notFound("The gateway was not found.");
    await audit(tx, actor, environmentId, "GATEWAY.DELETED", "GATEWAY", id);
  });
  // Other server processes let go of theirs when the connections have been idle a while.
  closeDirectory(id);
}

async function lockGateway(tx: Tx, environmentId: string, gatewayId: string): Promise<string> {
  const id = idOr404(gatewayId, "gateway");
  const [gw] = await tx.select({ id: gateways.id }).from(gateways).where(and(eq(gateways.id, id), eq(gateways.environmentId, environmentId))).for("update");
  if (!gw) throw notFound("The gateway was not found.");
  return id;
}

export async function createGatewayUserType(actor: Actor, environmentId: string, gatewayId: string, body: unknown): Promise<GatewayUserTypeView> {
  manage(actor, environmentId);
  const input = parse(userTypeSchema, body);
  const db = await getDb();
  await checkPopulations(db, environmentId, [{ input, target: "" }]);
  const id = await db.transaction(async (tx) => {
    const gw = await lockGateway(tx, environmentId, gatewayId);
    const r = await writeUserType(tx, environmentId, gw, { ...input, id: null }, undefined);
    await tx.update(gateways).set({ updatedAt: new Date() }).where(eq(gateways.id, gw));
    await audit(tx, actor, environmentId, "GATEWAY_USER_TYPE.CREATED", "GATEWAY_USER_TYPE", r.id);
    return r.id;
  });
  const [row] = await db.select().from(gatewayUserTypes).where(eq(gatewayUserTypes.id, id));
  const { gatewayId: _gatewayId, ...view } = row!;
  return view;
}

export async function updateGatewayUserType(actor: Actor, environmentId: string, gatewayId: string, userTypeId: string, body: unknown): Promise<GatewayUserTypeView> {
  manage(actor, environmentId);
  const input = parse(userTypeSchema, body);
  const id = idOr404(userTypeId, "user type");
  const db = await getDb();
  await checkPopulations(db, environmentId, [{ input, target: "" }]);
  await db.transaction(async (tx) => {
    const gw = await lockGateway(tx, environmentId, gatewayId);
    const [existing] = await tx.select().from(gatewayUserTypes).where(and(eq(gatewayUserTypes.id, id), eq(gatewayUserTypes.gatewayId, gw))).for("update");
    if (!existing) throw notFound("The user type was not found.");
    const r = await writeUserType(tx, environmentId, gw, input, existing);
    await tx.update(gateways).set({ updatedAt: new Date() }).where(eq(gateways.id, gw));
    await audit(tx, actor, environmentId, "GATEWAY_USER_TYPE.UPDATED", "GATEWAY_USER_TYPE", id, r.passwordsReturned ? { passwordsReturnedToDirectory: r.passwordsReturned } : {});
  });
  const [row] = await db.select().from(gatewayUserTypes).where(eq(gatewayUserTypes.id, id));
  const { gatewayId: _gatewayId, ...view } = row!;
  return view;
}

export async function deleteGatewayUserType(actor: Actor, environmentId: string, gatewayId: string, userTypeId: string): Promise<void> {
  manage(actor, environmentId);
  const id = idOr404(userTypeId, "user type");
  const db = await getDb();
  await db.transaction(async (tx) => {
    const gw = await lockGateway(tx, environmentId, gatewayId);
    const gone = await tx.delete(gatewayUserTypes).where(and(eq(gatewayUserTypes.id, id), eq(gatewayUserTypes.gatewayId, gw))).returning({ id: gatewayUserTypes.id });
    if (!gone.length) throw notFound("The user type was not found.");
    await audit(tx, actor, environmentId, "GATEWAY_USER_TYPE.DELETED", "GATEWAY_USER_TYPE", id);
  });
}

/** First-start bootstrap's writer (no actor): a gateway and its user types, in the caller's transaction. */
export async function insertGateway(
  db: Executor,
  v: { environmentId: string; type: string; name: string; userTypes: { name: string; orderedCorrelationAttributes: string[]; passwordAuthority?: "PING_ONE" | "LDAP"; searchBaseDn?: string }[] },
): Promise<{ id: string; userTypeIds: string[] }> {
  const id = uuidv7();
  await db.insert(gateways).values({ id, environmentId: v.environmentId, type: v.type, name: v.name });
  const userTypeIds: string[] = [];
  for (const t of v.userTypes) {
    const utId = uuidv7();
    userTypeIds.push(utId);
    await db.insert(gatewayUserTypes).values({
      id: utId,
      gatewayId: id,
      name: t.name,
      orderedCorrelationAttributes: t.orderedCorrelationAttributes,
      passwordAuthority: t.passwordAuthority ?? "LDAP",
      searchBaseDn: t.searchBaseDn ?? null,
    });
  }
  return { id, userTypeIds };
}

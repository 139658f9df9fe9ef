import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import { getDb } from "@/db";
import { applications } from "@/db/schema";
import { requireCovers, requireEnvironmentAccess, type Actor } from "@/lib/access";
import { loadAssignments } from "@/lib/access/assignments";
import { invalidData, notFound } from "@/lib/api/errors";
import { recordAudit } from "@/lib/audit";
import { isUuid, uuidv7 } from "@/lib/ids";
import { clientSecret as newClientSecret } from "./client-secret";

/**
 * Worker applications: one domain function per operation, used by the console's server actions
 * and by the HTTP API. Each checks access itself: managing applications needs ENVIRONMENT_ADMIN
 * (`environment:manage`) on the application's environment, and changing one that holds roles
 * (its secret, name, enabled flag, existence) also needs the actor's own roles to cover the
 * application's (finding F2: no taking over an application that holds more than you).
 * Role assignments are in lib/roles/assignments.ts.
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

/** The application, for a write on it: its roles must be covered by the actor's (F2). */
async function getApplicationForWrite(actor: Actor, environmentId: string, applicationId: string): Promise<ApplicationSummary> {
  const app = await getApplication(actor, environmentId, applicationId);
  requireCovers(actor, await loadAssignments({ applicationId: app.id }), "application");
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
    await recordAudit(tx, actor, environmentId, "APPLICATION.CREATED", { type: "APPLICATION", id }, { name });
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
  await getApplicationForWrite(actor, environmentId, applicationId);
  const values: { name?: string; enabled?: boolean; updatedAt: Date; tokenVersion?: ReturnType<typeof sql> } = { updatedAt: new Date() };
  if (input.name !== undefined) values.name = applicationName(input.name);
  if (input.enabled !== undefined) values.enabled = Boolean(input.enabled);
  // A disabled application's tokens die with it and stay dead if it is enabled again.
  if (input.enabled === false) values.tokenVersion = sql`${applications.tokenVersion} + 1`;
  const db = await getDb();
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(applications)
      .set(values)
      .where(and(eq(applications.id, applicationId.toLowerCase()), eq(applications.environmentId, environmentId)))
      .returning(applicationColumns);
    if (!row) throw notFound("The application was not found.");
    await recordAudit(tx, actor, environmentId, "APPLICATION.UPDATED", { type: "APPLICATION", id: row.id }, { ...(input.enabled !== undefined ? { enabled: values.enabled } : {}) });
    return row;
  });
}

/**
 * A fresh client secret; the old one stops working at once, and so do the access tokens issued
 * with it (their token version no longer matches: lib/auth/tokens.ts).
 */
export async function rotateApplicationSecret(
  actor: Actor,
  environmentId: string,
  applicationId: string,
): Promise<{ application: ApplicationSummary; clientSecret: string }> {
  await getApplicationForWrite(actor, environmentId, applicationId);
  const { secret: clientSecret, secretHash } = await newClientSecret();
  const db = await getDb();
  const application = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(applications)
      .set({ secretHash, tokenVersion: sql`${applications.tokenVersion} + 1`, updatedAt: new Date() })
      .where(and(eq(applications.id, applicationId.toLowerCase()), eq(applications.environmentId, environmentId)))
      .returning(applicationColumns);
    if (!row) throw notFound("The application was not found.");
    await recordAudit(tx, actor, environmentId, "APPLICATION.SECRET_ROTATED", { type: "APPLICATION", id: row.id });
    return row;
  });
  return { application, clientSecret };
}

export async function deleteApplication(actor: Actor, environmentId: string, applicationId: string): Promise<void> {
  await getApplicationForWrite(actor, environmentId, applicationId);
  const db = await getDb();
  await db.transaction(async (tx) => {
    const deleted = await tx
      .delete(applications)
      .where(and(eq(applications.id, applicationId.toLowerCase()), eq(applications.environmentId, environmentId)))
      .returning({ id: applications.id });
    if (!deleted.length) throw notFound("The application was not found.");
    await recordAudit(tx, actor, environmentId, "APPLICATION.DELETED", { type: "APPLICATION", id: deleted[0]!.id });
  });
}


import "server-only";
import type { Executor } from "@/db";
import { auditEvents } from "@/db/schema";
import type { Actor } from "@/lib/access";
import { uuidv7 } from "@/lib/ids";

/**
 * The one audit writer: who did what to which resource, when and through which interface (spec
 * 2.3). Every domain operation writes its event with recordAudit in its own transaction; writers
 * that build rows in SQL for a batch take the actor's columns from auditActor. Details never hold
 * a password, hash, code or secret.
 */
export type AuditActor = Pick<Actor, "type" | "id" | "via"> | { type: "SYSTEM"; id: null; via: "SYSTEM" };

export const SYSTEM_ACTOR: AuditActor = { type: "SYSTEM", id: null, via: "SYSTEM" };

export type AuditResource = { type: string; id: string | null };

/** The actor's audit columns. */
export function auditActor(actor: AuditActor) {
  return { actorType: actor.type, actorId: actor.id, via: actor.via } as const;
}

export function auditRow(actor: AuditActor, environmentId: string | null, action: string, resource: AuditResource, details: Record<string, unknown> = {}) {
  return {
    id: uuidv7(),
    environmentId,
    action,
    ...auditActor(actor),
    resourceType: resource.type,
    resourceId: resource.id,
    details,
  };
}

export async function recordAudit(
  tx: Executor,
  actor: AuditActor,
  environmentId: string | null,
  action: string,
  resource: AuditResource,
  details: Record<string, unknown> = {},
): Promise<void> {
  await tx.insert(auditEvents).values(auditRow(actor, environmentId, action, resource, details));
}

/**
 * One event for a batch of a bulk job: the resource is the job, and `details.users` names every
 * user the batch touched with that user's own details (row, population, password kind), so
 * "who imported whom" stays answerable per user without an event row per user:
 * `details->'users' @> '[{"id": "<user id>"}]'`.
 */
export function batchAuditRow(
  actor: AuditActor,
  environmentId: string,
  action: string,
  job: { id: string; batch: number },
  users: readonly ({ id: string } & Record<string, unknown>)[],
) {
  return auditRow(actor, environmentId, action, { type: "USER_IMPORT_JOB", id: job.id }, { jobId: job.id, batch: job.batch, users });
}

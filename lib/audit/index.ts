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

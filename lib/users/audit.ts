import "server-only";
import type { Executor } from "@/db";
import { auditEvents } from "@/db/schema";
import type { Actor } from "@/lib/access";
import { uuidv7 } from "@/lib/ids";

/** One audit event about a user, in the caller's transaction. Details never hold a password, hash or code. */
export async function recordUserEvent(
  tx: Executor,
  actor: Actor,
  environmentId: string,
  userId: string,
  action: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  await tx.insert(auditEvents).values({
    id: uuidv7(),
    environmentId,
    action,
    actorType: actor.type,
    actorId: actor.id,
    resourceType: "USER",
    resourceId: userId,
    via: actor.via,
    details,
  });
}

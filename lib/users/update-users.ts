import "server-only";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "@/db";
import { auditEvents, users, type UserRow } from "@/db/schema";
import type { AuditEventRow } from "./insert-users";
import { recordset } from "./recordset";

/**
 * One existing user's new attribute values (onConflict=update), as decided by decideImports:
 * the merged profile, email, enabled and mfaEnabled where the row set them, and emailVerified as
 * decided against the stored row (user-row.ts emailVerifiedAfter; the version check below keeps
 * that decision true at the write).
 * `version` is the row version the decision was made against (PostgreSQL's xmin).
 */
export type UserUpdate = {
  values: Pick<UserRow, "id" | "email" | "profile" | "updatedAt"> & { enabled: boolean | null; emailVerified: boolean | null; mfaEnabled: boolean | null };
  version: string;
  audit: AuditEventRow;
};

/** A user changed by someone else between the decision and the write: decide again. */
export class ConcurrentUserChange extends Error {
  constructor() {
    super("A user changed while the batch was decided.");
    this.name = "ConcurrentUserChange";
  }
}

const UPDATE_KEYS = ["id", "email", "profile", "enabled", "emailVerified", "mfaEnabled", "updatedAt"] as const;

/**
 * Writes a batch of updates and their audit events in one statement. Each update applies only if
 * the user is still the version it was decided against; otherwise nothing of the batch is kept
 * (ConcurrentUserChange, thrown inside the caller's transaction) and the caller decides again.
 */
export async function updateUsersWithAudit(tx: Executor, updates: readonly UserUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  const v = recordset(users, "v", updates.map((x) => x.values as UserRow), UPDATE_KEYS);
  const a = recordset(auditEvents, "a", updates.map((x) => x.audit));
  const versions = JSON.stringify(Object.fromEntries(updates.map((x) => [x.values.id, x.version])));
  const written = rows<{ id: string }>(
    await tx.execute(sql`
      with v as (select * from ${v.from}),
      updated as (
        update users u set
          email = coalesce(v.email, u.email),
          profile = v.profile,
          enabled = coalesce(v.enabled, u.enabled),
          email_verified = coalesce(v.email_verified, u.email_verified),
          mfa_enabled = coalesce(v.mfa_enabled, u.mfa_enabled),
          updated_at = v.updated_at
        from v
        where u.id = v.id and u.xmin::text = (${versions}::jsonb ->> v.id::text)
        returning u.id
      )
      insert into audit_events (${a.columns})
      select ${a.values} from ${a.from} join updated on updated.id = a.resource_id
      returning id`),
  );
  if (written.length !== updates.length) throw new ConcurrentUserChange();
}

import "server-only";
import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "@/db";
import type { NewUserRow } from "@/db/schema";

export type UserAudit = {
  id: string;
  action: "USER.IMPORTED" | "USER.CREATED";
  actorType: "USER" | "APPLICATION" | "SYSTEM";
  actorId: string | null;
  via: "API" | "CONSOLE" | "BULK" | "SYSTEM";
  details: Record<string, unknown>;
};

const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

/**
 * Writes users and their audit events in one statement, so that both are written or neither.
 * The SQL is written out rather than built by Drizzle's insert builder: on the import hot path
 * the builder's per-call mapping cost more CPU than PostgreSQL's own work. The column list
 * follows db/schema.ts; the contract tests read every column back.
 */
export async function insertUsersWithAudit(db: Executor, entries: { row: NewUserRow; audit: UserAudit }[]): Promise<void> {
  if (entries.length === 0) return;
  const userValues = sql.join(
    entries.map(({ row: r }) => sql`(${r.id}, ${r.environmentId}, ${r.populationId}, ${r.username}, ${r.email ?? null},
      ${r.emailVerified ?? false}, ${r.enabled ?? true}, ${r.mfaEnabled ?? false}, ${r.lifecycleStatus ?? "ACCOUNT_OK"},
      ${r.identityProviderId ?? null}, ${json(r.profile ?? {})}::jsonb, ${r.passwordHash ?? null}, ${r.passwordStatus ?? "NO_PASSWORD"},
      ${iso(r.passwordChangedAt)}::timestamptz, ${json(r.externalPassword)}::jsonb, ${iso(r.createdAt)}::timestamptz, ${iso(r.updatedAt)}::timestamptz)`),
    sql`, `,
  );
  const auditValues = sql.join(
    entries.map(({ row: r, audit: a }) => sql`(${a.id}::uuid, ${r.environmentId}::uuid, ${a.action}, ${a.actorType}, ${a.actorId}::uuid,
      ${r.id}::uuid, ${a.via}, ${json(a.details)}::jsonb, ${iso(r.createdAt)}::timestamptz)`),
    sql`, `,
  );
  const statement: SQL = sql`
    with inserted as (
      insert into users (id, environment_id, population_id, username, email, email_verified, enabled, mfa_enabled,
        lifecycle_status, identity_provider_id, profile, password_hash, password_status, password_changed_at,
        external_password, created_at, updated_at)
      values ${userValues}
      returning id
    )
    insert into audit_events (id, environment_id, action, actor_type, actor_id, resource_type, resource_id, via, details, created_at)
    select a.id, a.environment_id, a.action, a.actor_type, a.actor_id, 'USER', a.resource_id, a.via, a.details, a.created_at
    from (values ${auditValues}) as a(id, environment_id, action, actor_type, actor_id, resource_id, via, details, created_at)
    join inserted on inserted.id = a.resource_id`;
  await db.execute(statement);
}

function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}

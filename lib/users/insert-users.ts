import "server-only";
import { sql, type SQL } from "drizzle-orm";
import type { Executor } from "@/db";
import type { NewUserRow } from "@/db/schema";
import type { UserVerificationWrite } from "@/lib/verification/prepare";

export type { UserVerificationWrite };

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
export async function insertUsersWithAudit(
  db: Executor,
  entries: { row: NewUserRow; audit: UserAudit; verification?: UserVerificationWrite | null }[],
): Promise<void> {
  if (entries.length === 0) return;
  if (entries.length > 1 && !entries.some((e) => e.verification)) return insertBatch(db, entries);
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
  const verifying = entries.filter((e) => e.verification);
  // The common import (no verification email) stays the plain two-table statement.
  const statement: SQL = sql`
    with ${verifying.length ? verificationCtes(verifying) : sql``} inserted as (
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

/**
 * The same write for a batch (bulk import): the rows travel as ONE JSON parameter that
 * PostgreSQL unpacks with json_to_recordset, instead of 26 parameters a row. Building and
 * binding thousands of parameters cost several times PostgreSQL's own work on a batch of 1,000.
 */
async function insertBatch(db: Executor, entries: { row: NewUserRow; audit: UserAudit }[]): Promise<void> {
  const payload = JSON.stringify(
    entries.map(({ row: r, audit: a }) => ({
      id: r.id,
      environment_id: r.environmentId,
      population_id: r.populationId,
      username: r.username,
      email: r.email ?? null,
      email_verified: r.emailVerified ?? false,
      enabled: r.enabled ?? true,
      mfa_enabled: r.mfaEnabled ?? false,
      lifecycle_status: r.lifecycleStatus ?? "ACCOUNT_OK",
      identity_provider_id: r.identityProviderId ?? null,
      profile: r.profile ?? {},
      password_hash: r.passwordHash ?? null,
      password_status: r.passwordStatus ?? "NO_PASSWORD",
      password_changed_at: iso(r.passwordChangedAt),
      external_password: r.externalPassword ?? null,
      created_at: iso(r.createdAt),
      updated_at: iso(r.updatedAt),
      audit_id: a.id,
      action: a.action,
      actor_type: a.actorType,
      actor_id: a.actorId,
      via: a.via,
      details: a.details,
    })),
  );
  await db.execute(sql`
    with batch as (
      select * from json_to_recordset(${payload}::json) as r(id uuid, environment_id uuid, population_id uuid, username text,
        email text, email_verified boolean, enabled boolean, mfa_enabled boolean, lifecycle_status text, identity_provider_id uuid,
        profile jsonb, password_hash text, password_status text, password_changed_at timestamptz, external_password jsonb,
        created_at timestamptz, updated_at timestamptz, audit_id uuid, action text, actor_type text, actor_id uuid, via text, details jsonb)
    ), inserted as (
      insert into users (id, environment_id, population_id, username, email, email_verified, enabled, mfa_enabled,
        lifecycle_status, identity_provider_id, profile, password_hash, password_status, password_changed_at,
        external_password, created_at, updated_at)
      select id, environment_id, population_id, username, email, email_verified, enabled, mfa_enabled,
        lifecycle_status, identity_provider_id, coalesce(profile, '{}'::jsonb), password_hash, password_status, password_changed_at,
        external_password, created_at, updated_at
      from batch
      returning id
    )
    insert into audit_events (id, environment_id, action, actor_type, actor_id, resource_type, resource_id, via, details, created_at)
    select b.audit_id, b.environment_id, b.action, b.actor_type, b.actor_id, 'USER', b.id, b.via, b.details, b.created_at
    from batch b join inserted on inserted.id = b.id`);
}

/**
 * Data-modifying CTEs run with the statement they prefix (PostgreSQL executes each exactly once),
 * and the foreign keys of both tables are checked at its end, after `inserted` has its rows.
 * They go in front of `inserted` in the statement's WITH list.
 */
function verificationCtes(entries: { row: NewUserRow; verification?: UserVerificationWrite | null }[]): SQL {
  const codes = sql.join(
    entries.map(({ row: r, verification: v }) => sql`(${r.id}::uuid, ${v!.codeHash}, ${r.email ?? ""}, ${iso(v!.expiresAt)}::timestamptz, ${iso(r.createdAt)}::timestamptz)`),
    sql`, `,
  );
  const mails = sql.join(
    entries.map(({ row: r, verification: v }) => sql`(${v!.outbox.id}::uuid, ${r.environmentId}::uuid, ${r.id}::uuid, ${v!.outbox.to}, ${v!.outbox.subject},
      ${v!.outbox.text}, ${v!.outbox.html}, ${iso(r.createdAt)}::timestamptz)`),
    sql`, `,
  );
  return sql`verification_code_rows as (
      insert into verification_codes (user_id, code_hash, email, expires_at, created_at)
      values ${codes}
    ), verification_mail_rows as (
      insert into email_outbox (id, environment_id, user_id, to_address, subject, text_body, html_body, next_attempt_at, created_at)
      select m.id, m.environment_id, m.user_id, m.to_address, m.subject, m.text_body, m.html_body, m.created_at, m.created_at
      from (values ${mails}) as m(id, environment_id, user_id, to_address, subject, text_body, html_body, created_at)
    ),`;
}

function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}

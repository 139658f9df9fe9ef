import { sql } from "drizzle-orm";
import {
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  check,
} from "drizzle-orm/pg-core";
import type { JobFormat, LifecycleStatus, PasswordStatus, RoleName, ScopeType, UserImportJobKind, UserImportJobStatus, UserImportOnConflict } from "./enums";

export * from "./enums";

const createdAt = () => timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().defaultNow();

/** Instance-wide key/value settings, e.g. the generated token-signing secret. */
export const settings = pgTable("settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

export const organizations = pgTable("organizations", {
  id: uuid("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: createdAt(),
});

export type PasswordPolicy = { minLength: number; maxLength: number };

export const environments = pgTable("environments", {
  id: uuid("id").primaryKey(),
  organizationId: uuid("organization_id").notNull().references(() => organizations.id),
  name: text("name").notNull(),
  description: text("description"),
  /** Null means the product's default policy (lib/passwords). */
  passwordPolicy: jsonb("password_policy").$type<PasswordPolicy>(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const populations = pgTable(
  "populations",
  {
    id: uuid("id").primaryKey(),
    environmentId: uuid("environment_id").notNull().references(() => environments.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    isDefault: boolean("is_default").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("populations_env_name_uq").on(t.environmentId, sql`lower(${t.name})`),
    // One default population per environment, enforced by the database.
    uniqueIndex("populations_one_default_uq").on(t.environmentId).where(sql`${t.isDefault}`),
    // Target of users' composite foreign key: a user's population lies in the user's environment.
    unique("populations_env_id_uq").on(t.environmentId, t.id),
  ],
);

export const IDENTITY_PROVIDER_TYPES = [
  "FACEBOOK", "GOOGLE", "LINKEDIN", "LINKEDIN_OIDC", "APPLE", "TWITTER", "AMAZON", "YAHOO",
  "MICROSOFT", "PAYPAL", "GITHUB", "OPENID_CONNECT", "SAML",
] as const;
export type IdentityProviderType = (typeof IDENTITY_PROVIDER_TYPES)[number];

export const identityProviders = pgTable(
  "identity_providers",
  {
    id: uuid("id").primaryKey(),
    environmentId: uuid("environment_id").notNull().references(() => environments.id, { onDelete: "cascade" }),
    type: text("type").$type<IdentityProviderType>().notNull(),
    name: text("name").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [unique("identity_providers_env_id_uq").on(t.environmentId, t.id)],
);

export const GATEWAY_CONNECTION_SECURITY = ["None", "TLS", "StartTLS"] as const;
export type GatewayConnectionSecurity = (typeof GATEWAY_CONNECTION_SECURITY)[number];

/**
 * A gateway (spec 5.1). For type LDAP it names the directory servers this product connects to
 * itself. `bindPasswordCiphertext` is the service account's password encrypted under the server
 * key (lib/secrets); it is never serialised. `version` grows with every change of the row, so
 * that each server process notices a changed gateway and drops its connection pool.
 */
export const gateways = pgTable("gateways", {
  id: uuid("id").primaryKey(),
  environmentId: uuid("environment_id").notNull().references(() => environments.id, { onDelete: "cascade" }),
  type: text("type").notNull(),
  name: text("name").notNull(),
  description: text("description"),
  enabled: boolean("enabled").notNull().default(true),
  servers: jsonb("servers").$type<string[]>().notNull().default([]),
  bindDn: text("bind_dn"),
  bindPasswordCiphertext: text("bind_password_ciphertext"),
  connectionSecurity: text("connection_security").$type<GatewayConnectionSecurity>().notNull().default("None"),
  validateTlsCertificates: boolean("validate_tls_certificates").notNull().default(true),
  vendor: text("vendor"),
  version: integer("version").notNull().default(1),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export type GatewayAttributeMapping = { name: string; value: string };
export type GatewayNewUserLookup = { ldapFilterPattern: string; populationId: string | null; attributeMappings: GatewayAttributeMapping[] };

export const gatewayUserTypes = pgTable(
  "gateway_user_types",
  {
    id: uuid("id").primaryKey(),
    gatewayId: uuid("gateway_id").notNull().references(() => gateways.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    orderedCorrelationAttributes: jsonb("ordered_correlation_attributes").$type<string[]>().notNull().default([]),
    passwordAuthority: text("password_authority").$type<"PING_ONE" | "LDAP">().notNull().default("LDAP"),
    searchBaseDn: text("search_base_dn"),
    allowPasswordChanges: boolean("allow_password_changes").notNull().default(false),
    updateUserOnSuccessfulAuthentication: boolean("update_user_on_successful_authentication").notNull().default(false),
    newUserLookup: jsonb("new_user_lookup").$type<GatewayNewUserLookup>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("gateway_user_types_gateway_idx").on(t.gatewayId)],
);


/** Profile attributes kept as one document: the user resource returns them as sent. */
export type UserProfile = Record<string, unknown>;

export type ExternalPassword = {
  gatewayId: string;
  userTypeId: string;
  correlationAttributes: Record<string, string>;
};

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey(),
    // The environment and the population are references without a foreign key: migration 0009's
    // triggers check them once per statement (users_check_references), refuse deleting a
    // population that holds users (populations_keep_their_users) and delete an environment's users
    // with it (environments_delete_users). A foreign key checks and key-share locks its row once
    // per user: for a bulk batch that was a fifth of PostgreSQL's part of the COPY.
    environmentId: uuid("environment_id").notNull(),
    populationId: uuid("population_id").notNull(),
    username: text("username").notNull(),
    email: text("email"),
    emailVerified: boolean("email_verified").notNull().default(false),
    enabled: boolean("enabled").notNull().default(true),
    mfaEnabled: boolean("mfa_enabled").notNull().default(false),
    lifecycleStatus: text("lifecycle_status").$type<LifecycleStatus>().notNull().default("ACCOUNT_OK"),
    identityProviderId: uuid("identity_provider_id"),
    profile: jsonb("profile").$type<UserProfile>().notNull().default({}),
    /** Stored exactly as imported (pre-encoded) or as an argon2id PHC string. Never serialised. */
    passwordHash: text("password_hash"),
    passwordStatus: text("password_status").$type<PasswordStatus>().notNull().default("NO_PASSWORD"),
    passwordChangedAt: timestamp("password_changed_at", { withTimezone: true, mode: "date" }),
    externalPassword: jsonb("external_password").$type<ExternalPassword>(),
    /**
     * The scheme of the stored password (lib/users/stored-password.ts passwordScheme: "ARGON2ID"
     * for what hashPassword writes today, else e.g. "SSHA512", "BCRYPT"); null without one. Set
     * with every write of password_hash, so that the migration cockpit counts families from an index.
     */
    passwordScheme: text("password_scheme"),
    /** The first successful password check (Check Password, console sign-in, a gateway bind); null: never since import. */
    passwordCheckedAt: timestamp("password_checked_at", { withTimezone: true, mode: "date" }),
    // The gateway link's ids as plain columns, derived by the database, so that the migration
    // cockpit's aggregate reads them from its index (an index over a jsonb expression cannot
    // serve an index-only scan). Never written: batch writers leave generated columns out.
    passwordGatewayId: text("password_gateway_id").generatedAlwaysAs(sql`external_password->>'gatewayId'`),
    passwordUserTypeId: text("password_user_type_id").generatedAlwaysAs(sql`external_password->>'userTypeId'`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // The migration cockpit's one aggregate (lib/migration) is an index-only scan of this.
    index("users_env_password_state_idx").on(
      t.environmentId,
      t.passwordStatus,
      t.passwordScheme,
      t.passwordGatewayId,
      t.passwordUserTypeId,
      t.populationId,
      t.passwordCheckedAt,
    ),
    // Users never successfully checked since import, in id order: the cockpit's list and CSV export.
    index("users_env_unchecked_idx").on(t.environmentId, t.id).where(sql`${t.passwordCheckedAt} is null`),
    // The guard for username uniqueness: one username per environment, case-insensitively.
    uniqueIndex("users_env_username_uq").on(t.environmentId, sql`lower(${t.username})`),
    index("users_env_population_idx").on(t.environmentId, t.populationId, t.id),
    index("users_env_email_idx").on(t.environmentId, sql`lower(${t.email})`),
    // The list filter's `sw` (lower(x) LIKE 'prefix%', lib/users/filter.ts) uses these whatever
    // the database's collation: text_pattern_ops compares bytes, as a prefix match needs.
    index("users_env_username_pattern_idx").on(t.environmentId, sql`lower(${t.username}) text_pattern_ops`),
    index("users_env_email_pattern_idx").on(t.environmentId, sql`lower(${t.email}) text_pattern_ops`),
    // Date filters (createdAt gt ...): without it the first page walks the primary key. Not on
    // updated_at: every update changes it, and an index on it would make no update HOT.
    index("users_env_created_idx").on(t.environmentId, t.createdAt),
    // externalId eq: how a migration finds its source's record again (same expression as filter-sql.ts).
    index("users_env_external_id_idx").on(t.environmentId, sql`lower(${t.profile} ->> 'externalId')`),
    // The database, not a prior SELECT, guarantees that the population and the identity
    // provider belong to the user's environment: an import is then a single statement. The
    // population by migration 0009's statement trigger (above); the identity provider, which
    // most users have none of (a NULL is never looked up), by its foreign key.
    foreignKey({
      name: "users_identity_provider_fk",
      columns: [t.environmentId, t.identityProviderId],
      foreignColumns: [identityProviders.environmentId, identityProviders.id],
    }),
  ],
);

export const applications = pgTable("applications", {
  id: uuid("id").primaryKey(),
  environmentId: uuid("environment_id").notNull().references(() => environments.id, { onDelete: "cascade" }),
  name: text("name").notNull(),
  /** argon2id of the client secret; the secret itself is shown once and never stored. */
  secretHash: text("secret_hash").notNull(),
  tokenEndpointAuthMethod: text("token_endpoint_auth_method")
    .$type<"CLIENT_SECRET_BASIC" | "CLIENT_SECRET_POST">()
    .notNull()
    .default("CLIENT_SECRET_BASIC"),
  enabled: boolean("enabled").notNull().default(true),
  /**
   * Carried by every access token as `ver`; a token whose version is not the application's
   * current one is refused. Raised when the secret is rotated or the application disabled.
   */
  tokenVersion: integer("token_version").notNull().default(0),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});


export const roleAssignments = pgTable(
  "role_assignments",
  {
    id: uuid("id").primaryKey(),
    role: text("role").$type<RoleName>().notNull(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    applicationId: uuid("application_id").references(() => applications.id, { onDelete: "cascade" }),
    scopeType: text("scope_type").$type<ScopeType>().notNull(),
    scopeId: uuid("scope_id").notNull(),
    /** The environment a POPULATION or ENVIRONMENT scope lies in; null for ORGANIZATION. */
    scopeEnvironmentId: uuid("scope_environment_id").references(() => environments.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [
    index("role_assignments_user_idx").on(t.userId),
    index("role_assignments_app_idx").on(t.applicationId),
    check("role_assignments_one_subject", sql`(${t.userId} is null) <> (${t.applicationId} is null)`),
  ],
);

export const auditEvents = pgTable(
  "audit_events",
  {
    id: uuid("id").primaryKey(),
    environmentId: uuid("environment_id").references(() => environments.id, { onDelete: "cascade" }),
    action: text("action").notNull(),
    actorType: text("actor_type").$type<"USER" | "APPLICATION" | "SYSTEM">().notNull(),
    actorId: uuid("actor_id"),
    resourceType: text("resource_type").notNull(),
    resourceId: uuid("resource_id"),
    via: text("via").$type<"API" | "CONSOLE" | "BULK" | "SYSTEM">().notNull(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index("audit_events_env_created_idx").on(t.environmentId, t.createdAt),
    // Per-day counts of one kind of event (the migration cockpit's upgrades and gateway migrations).
    index("audit_events_env_action_created_idx").on(t.environmentId, t.action, t.createdAt),
  ],
);

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = typeof users.$inferInsert;
export type PopulationRow = typeof populations.$inferSelect;
export type EnvironmentRow = typeof environments.$inferSelect;
export type IdentityProviderRow = typeof identityProviders.$inferSelect;
export type GatewayRow = typeof gateways.$inferSelect;
export type GatewayUserTypeRow = typeof gatewayUserTypes.$inferSelect;
export type ApplicationRow = typeof applications.$inferSelect;
export type RoleAssignmentRow = typeof roleAssignments.$inferSelect;

// ---------------------------------------------------------------------------------------------
// Bulk import (issue 4): a job, its file (stored as chunks of parsed rows), its errors and the
// usernames seen in its file. Everything a job needs to resume after a crash lives here.
// ---------------------------------------------------------------------------------------------


export const userImportJobs = pgTable(
  "user_import_jobs",
  {
    id: uuid("id").primaryKey(),
    environmentId: uuid("environment_id").notNull().references(() => environments.id, { onDelete: "cascade" }),
    actorType: text("actor_type").$type<"USER" | "APPLICATION">().notNull(),
    actorId: uuid("actor_id").notNull(),
    format: text("format").$type<JobFormat>().notNull(),
    fileName: text("file_name"),
    /** Where the rows come from when not only the file (spec 9): the directory a job pages through, or the user type an LDIF file is mapped by. */
    source: jsonb("source").$type<UserImportJobSource>(),
    dryRun: boolean("dry_run").notNull().default(false),
    onConflict: text("on_conflict").$type<UserImportOnConflict>().notNull().default("fail"),
    defaultPopulationId: uuid("default_population_id"),
    status: text("status").$type<UserImportJobStatus>().notNull(),
    totalRows: integer("total_rows").notNull().default(0),
    chunksTotal: integer("chunks_total").notNull().default(0),
    chunksDone: integer("chunks_done").notNull().default(0),
    processedRows: integer("processed_rows").notNull().default(0),
    createdCount: integer("created_count").notNull().default(0),
    updatedCount: integer("updated_count").notNull().default(0),
    skippedCount: integer("skipped_count").notNull().default(0),
    failedCount: integer("failed_count").notNull().default(0),
    /** `import` (a file's rows) or `undo` (reverses the job named by undoesJobId, issue 14.6). */
    kind: text("kind").$type<UserImportJobKind>().notNull().default("import"),
    undoesJobId: uuid("undoes_job_id"),
    /** An undo's outcome: users it deleted and profiles it restored (refused ones count as failed). */
    deletedCount: integer("deleted_count").notNull().default(0),
    restoredCount: integer("restored_count").notNull().default(0),
    /** Directory and LDIF rows (spec 9.1): users created with their directory hash, and users created linked to the gateway. */
    passwordsCopiedCount: integer("passwords_copied_count").notNull().default(0),
    linkedCount: integer("linked_count").notNull().default(0),
    /** Why a job FAILED as a whole (the directory stayed unreachable), in words an administrator can act on. */
    failure: jsonb("failure").$type<{ code: string; message: string }>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }),
    finishedAt: timestamp("finished_at", { withTimezone: true, mode: "date" }),
    /**
     * The job's progress over its life, for its rate over the last minute and the wizard's chart:
     * [epoch milliseconds, rows processed] pairs, appended by the batches' commits at most once a
     * second, and less often as the job grows old (a hundredth of its age), so that it stays small.
     */
    progressSamples: jsonb("progress_samples").$type<[number, number][]>().notNull().default([]),
  },
  (t) => [
    index("user_import_jobs_env_created_idx").on(t.environmentId, t.createdAt),
    index("user_import_jobs_status_idx").on(t.status),
    index("user_import_jobs_undoes_idx").on(t.undoesJobId),
  ],
);

/**
 * What a (non dry-run) job wrote, kept so that it can be undone (issue 14.6): one line per user
 * it created or updated, written in the same transaction as the batch. `before` is the updated
 * user's replaced attributes; `afterVersion` is the row version (PostgreSQL's xmin) the job left
 * the user at, so that an undo can tell a user changed since (any later write changes it). No
 * foreign key to users: the line outlives the user it names. None to its job either (see
 * userImportKeys).
 */
export const userImportChanges = pgTable(
  "user_import_changes",
  {
    jobId: uuid("job_id").notNull(),
    userId: uuid("user_id").notNull(),
    kind: text("kind").$type<"created" | "updated">().notNull(),
    before: jsonb("before").$type<UserChangeBefore>(),
    afterVersion: text("after_version"),
    /** The row number of the file that wrote it, for the undo's report. */
    rowNumber: integer("row_number"),
    /** The undo job that deleted or restored this user, so that a later undo (after one was canceled) skips it. */
    undoneBy: uuid("undone_by"),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.userId] })],
);

/** The attributes an onConflict=update row may change, as they were before it (see lib/users/update-users.ts). */
export type UserChangeBefore = {
  email: string | null;
  profile: UserProfile;
  enabled: boolean;
  emailVerified: boolean;
  mfaEnabled: boolean;
  updatedAt: string;
};

/** A batch of the job's file: parsed rows as JSON lines, claimed by one process at a time under a lease. */
export const userImportChunks = pgTable(
  "user_import_chunks",
  {
    jobId: uuid("job_id").notNull().references(() => userImportJobs.id, { onDelete: "cascade" }),
    seq: integer("seq").notNull(),
    rowCount: integer("row_count").notNull(),
    data: text("data").notNull(),
    done: boolean("done").notNull().default(false),
    leaseOwner: text("lease_owner"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true, mode: "date" }),
    attempts: integer("attempts").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] }), index("user_import_chunks_pending_idx").on(t.jobId, t.seq).where(sql`not ${t.done}`)],
);

/** One line per failed row of the error report. Never a password or hash. */
export const userImportErrors = pgTable(
  "user_import_errors",
  {
    jobId: uuid("job_id").notNull().references(() => userImportJobs.id, { onDelete: "cascade" }),
    rowNumber: integer("row_number").notNull(),
    username: text("username"),
    target: text("target"),
    code: text("code").notNull(),
    message: text("message").notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.rowNumber] })],
);

/**
 * Usernames (lower-cased) already taken by an earlier row of the same file: duplicates inside the
 * file. No foreign key to the job (nor from user_import_changes): a bulk batch writes a line here
 * and one there for every user it creates, and checking each line's job (a lookup and a lock of
 * the job's row, per line) cost as much as writing it. The batch's transaction holds its chunk's
 * row, whose job's foreign key cascades, so the job exists while its lines are written; a job is
 * deleted only when its upload fails, before any of its rows is worked (createImportJob, which
 * also deletes these lines).
 */
export const userImportKeys = pgTable(
  "user_import_keys",
  {
    jobId: uuid("job_id").notNull(),
    username: text("username").notNull(),
    rowNumber: integer("row_number").notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.username] })],
);

export type UserImportJobRow = typeof userImportJobs.$inferSelect;

/** A directory job's source (spec 9.1), or an LDIF file's user type (9.2). */
export type UserImportJobSource = { type: "LDAP" | "LDIF"; gatewayId: string; userTypeId: string; filter?: string | null };

// ---------------------------------------------------------------------------------------------
// Verification email and password operations (issue 5, spec 3.4 and 4).
// ---------------------------------------------------------------------------------------------

/**
 * The one valid verification code of a user (the primary key keeps only the latest): an
 * HMAC-SHA256 of the code under a server key (lib/verification/codes.ts), never the code itself.
 * `email` is the address the code was sent to: verifying sets emailVerified only if it still matches.
 */
export const verificationCodes = pgTable("verification_codes", {
  userId: uuid("user_id").primaryKey().references(() => users.id, { onDelete: "cascade" }),
  codeHash: text("code_hash").notNull(),
  email: text("email").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  createdAt: createdAt(),
});

export type OutboxStatus = "PENDING" | "SENT" | "FAILED";

/**
 * Outgoing email, written in the transaction that makes the reason for it (an import, a resend)
 * and delivered after commit by lib/verification/sender.ts. A sender leases due rows
 * (`lease_until`) so that a crashed sender's rows are taken up again once the lease runs out.
 */
export const emailOutbox = pgTable(
  "email_outbox",
  {
    id: uuid("id").primaryKey(),
    environmentId: uuid("environment_id").notNull().references(() => environments.id, { onDelete: "cascade" }),
    userId: uuid("user_id").references(() => users.id, { onDelete: "cascade" }),
    toAddress: text("to_address").notNull(),
    subject: text("subject").notNull(),
    textBody: text("text_body").notNull(),
    htmlBody: text("html_body").notNull(),
    status: text("status").$type<OutboxStatus>().notNull().default("PENDING"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" }).notNull().defaultNow(),
    leaseUntil: timestamp("lease_until", { withTimezone: true, mode: "date" }),
    leasedBy: text("leased_by"),
    lastError: text("last_error"),
    sentAt: timestamp("sent_at", { withTimezone: true, mode: "date" }),
    createdAt: createdAt(),
  },
  (t) => [
    index("email_outbox_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'PENDING'`),
    index("email_outbox_env_created_idx").on(t.environmentId, t.createdAt),
  ],
);

export type EmailOutboxRow = typeof emailOutbox.$inferSelect;

/**
 * Console sign-in sessions, server side: the session cookie names its row (`sid`), and every
 * request checks the row still exists, so signing out, or a change of the administrator's
 * password, ends the session at once on every instance.
 */
export const adminSessions = pgTable(
  "admin_sessions",
  {
    id: uuid("id").primaryKey(),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
  },
  (t) => [index("admin_sessions_user_idx").on(t.userId)],
);

// ---------------------------------------------------------------------------------------------
// Rate-limit counters shared by every instance on the database: the API's limits, console sign-in
// attempts and verification codes (lib/rate-limit). The layout is the one rate-limiter-flexible's
// RateLimiterDrizzle reads and writes (key, points, expire).
export const rateLimits = pgTable("rate_limits", {
  key: text("key").primaryKey(),
  points: integer("points").notNull(),
  expire: timestamp("expire", { withTimezone: true, mode: "date" }),
});

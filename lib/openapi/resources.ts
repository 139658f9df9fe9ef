import { z } from "zod";
import { JOB_FORMATS, JOB_PHASES, LIFECYCLE_STATUSES, ON_CONFLICT, PASSWORD_STATUSES, ROLES, SCOPE_TYPES, USER_IMPORT_JOB_KINDS, USER_IMPORT_JOB_STATUSES } from "@/db/enums";
import { ROLE_LABELS } from "@/lib/access";
import { DETAIL_CODES, ERROR_CODES } from "@/lib/api/errors";
import { LOWER_CASE_UUID_RE } from "@/lib/ids";
import { userImportSchema, PROFILE_FIELDS } from "@/lib/users/schema";

/**
 * Zod descriptions of what the API answers, for the OpenAPI document only (request bodies come
 * from the very schemas the handlers parse with). The user resource's profile attributes are
 * taken from the import schema, so they cannot drift from what an import accepts; the test
 * test/openapi.test.ts validates real responses against the generated document.
 */
const uuid = z.string().regex(LOWER_CASE_UUID_RE);
const timestamp = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/).meta({ description: "ISO-8601 UTC with milliseconds." });
const link = z.object({ href: z.string() });
const ref = z.object({ id: uuid });

export const errorDetailSchema = z.object({
  code: z.enum(DETAIL_CODES),
  target: z.string().optional().meta({ description: "The attribute path the problem is about, e.g. population.id." }),
  message: z.string(),
  innerError: z.record(z.string(), z.unknown()).optional(),
});

export const errorEnvelopeSchema = z
  .object({
    id: uuid.meta({ description: "Also written to the server's log line for the request: quote it when reporting." }),
    code: z.enum(ERROR_CODES),
    message: z.string(),
    details: z.array(errorDetailSchema).min(1).optional(),
  })
  .meta({ description: "PingOne's error envelope (spec 7)." });

export const oauthErrorSchema = z.object({
  error: z.enum(["invalid_request", "invalid_client", "unsupported_grant_type", "unauthorized_client"]),
  error_description: z.string(),
});

export const tokenRequestSchema = z.object({
  grant_type: z.literal("client_credentials"),
  client_id: z.string().optional().meta({ description: "With client_secret, instead of HTTP Basic." }),
  client_secret: z.string().optional(),
});

export const tokenSchema = z.object({
  access_token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int(),
});

const profileShape = Object.fromEntries(
  PROFILE_FIELDS.map((f) => [f, (userImportSchema.shape as Record<string, z.ZodType>)[f]!.optional()]),
) as unknown as Record<(typeof PROFILE_FIELDS)[number], z.ZodType>;

export const userSchema = z.object({
  _links: z.object({
    self: link,
    password: link,
    "password.set": link,
    "password.check": link,
    "account.sendVerificationCode": link,
    population: link,
    "population.update": link,
    enabled: link,
    identityProvider: link,
  }),
  id: uuid,
  environment: ref,
  population: ref,
  username: z.string(),
  email: z.string().optional(),
  emailVerified: z.boolean(),
  ...profileShape,
  enabled: z.boolean(),
  mfaEnabled: z.boolean(),
  lifecycle: z.object({ status: z.enum(LIFECYCLE_STATUSES) }),
  identityProvider: z.object({ type: z.string(), id: uuid.optional() }),
  account: z.object({ canAuthenticate: z.boolean(), status: z.literal("OK") }),
  verifyStatus: z.literal("NOT_INITIATED"),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const environmentSchema = z.object({
  _links: z.object({ self: link, populations: link, users: link }),
  id: uuid,
  organization: ref,
  name: z.string(),
  description: z.string().optional(),
  createdAt: timestamp,
  updatedAt: timestamp.optional(),
});

const envLinks = z.object({ self: link, environment: link });

export const populationSchema = z.object({
  _links: envLinks,
  id: uuid,
  name: z.string(),
  environment: ref,
  description: z.string().optional(),
  default: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp.optional(),
});

export const identityProviderSchema = z.object({
  _links: envLinks,
  id: uuid,
  type: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  environment: ref,
  createdAt: timestamp,
  updatedAt: timestamp.optional(),
});

const userLinks = z.object({ self: link, user: link });

export const userEnabledSchema = z.object({ _links: userLinks, enabled: z.boolean() });

export const userIdentityProviderSchema = z.object({ _links: userLinks, type: z.string(), id: uuid.optional() });

const userTypeResourceSchema = z.object({
  id: uuid,
  name: z.string(),
  passwordAuthority: z.enum(["PING_ONE", "LDAP"]),
  searchBaseDn: z.string().optional(),
  orderedCorrelationAttributes: z.array(z.string()),
  allowPasswordChanges: z.boolean(),
  updateUserOnSuccessfulAuthentication: z.boolean(),
  newUserLookup: z
    .object({
      ldapFilterPattern: z.string(),
      population: ref.optional(),
      attributeMappings: z.array(z.object({ name: z.string(), value: z.string().meta({ description: "e.g. ${ldapAttributes.mail}" }) })),
    })
    .optional(),
});

/** A gateway (spec 5.1), as lib/gateways/resource.ts writes it: never the bind password. */
export const gatewaySchema = z.object({
  _links: envLinks,
  id: uuid,
  type: z.string(),
  name: z.string(),
  description: z.string().optional(),
  enabled: z.boolean(),
  environment: ref,
  servers: z.array(z.string()).meta({ description: "host:port, tried in order." }),
  bindDN: z.string().optional(),
  connectionSecurity: z.enum(["None", "TLS", "StartTLS"]),
  validateTlsCertificates: z.boolean(),
  vendor: z.string().optional(),
  userTypes: z.array(userTypeResourceSchema),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const passwordStateSchema = z.object({
  _links: z.object({ self: link, user: link }),
  environment: ref,
  user: ref,
  status: z.enum(PASSWORD_STATUSES),
  lastChangedAt: timestamp.optional(),
  external: z
    .object({ gateway: z.object({ id: uuid, userType: ref, correlationAttributes: z.record(z.string(), z.string()) }) })
    .optional(),
});

export const applicationSchema = z.object({
  _links: z.object({ self: link, environment: link, roleAssignments: link, secret: link }),
  id: uuid.meta({ description: "Also the OAuth client id." }),
  environment: ref,
  name: z.string(),
  enabled: z.boolean(),
  type: z.literal("WORKER"),
  protocol: z.literal("OPENID_CONNECT"),
  grantTypes: z.array(z.literal("CLIENT_CREDENTIALS")),
  tokenEndpointAuthMethod: z.enum(["CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST"]),
  clientSecret: z.string().optional().meta({ description: "Only in the answer that creates the application or rotates its secret; never stored." }),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const roleAssignmentSchema = z.object({
  _links: z.object({ self: link, role: link }),
  id: uuid,
  role: ref,
  scope: z.object({ id: uuid, type: z.enum(SCOPE_TYPES) }),
  environment: ref,
  readOnly: z.boolean(),
  createdAt: timestamp,
});

export const roleSchema = z.object({
  _links: z.object({ self: link }),
  id: uuid,
  name: z.enum(ROLES.map((r) => ROLE_LABELS[r]) as [string, ...string[]]),
  description: z.string(),
  applicableTo: z.array(z.enum(SCOPE_TYPES)),
});

export const healthSchema = z.object({ status: z.literal("UP") });

export const readinessSchema = z.object({
  status: z.enum(["UP", "DOWN"]),
  checks: z.object({ database: z.enum(["UP", "DOWN"]), migrations: z.enum(["CURRENT", "PENDING", "UNKNOWN"]) }),
});

/** A bulk import job (issue 4), as lib/bulk/jobs.ts toJobResource writes it. */
export const userImportJobSchema = z.object({
  id: uuid,
  environment: ref,
  kind: z.enum(USER_IMPORT_JOB_KINDS),
  undoes: ref.nullable(),
  status: z.enum(USER_IMPORT_JOB_STATUSES),
  phase: z.enum(JOB_PHASES).describe("uploading: the file is arriving; validating: rows are decided and none written yet (a dry run throughout); importing: batches are being written; reporting: every row is done, the counts and the error report are final."),
  format: z.enum(JOB_FORMATS),
  fileName: z.string().nullable(),
  source: z
    .object({ type: z.enum(["LDAP", "LDIF"]), gateway: ref, userType: ref, filter: z.string().nullable().optional() })
    .nullable()
    .describe("A directory job's directory (spec 9.1), or the user type an LDIF file is mapped by (9.2)."),
  dryRun: z.boolean(),
  onConflict: z.enum(ON_CONFLICT),
  defaultPopulation: ref.nullable(),
  counts: z.object({
    total: z.number().int(),
    processed: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    deleted: z.number().int(),
    restored: z.number().int(),
    passwordsCopied: z.number().int().describe("Users created with the password hash of their directory entry or LDIF record."),
    linked: z.number().int().describe("Users created linked to the gateway (their hash could not be copied)."),
  }),
  failure: z.object({ code: z.string(), message: z.string() }).nullable().describe("Why the job FAILED as a whole (the directory stayed unreachable)."),
  progress: z.object({
    rowsDone: z.number().int(),
    totalRows: z.number().int(),
    percent: z.number().int(),
    rowsPerSecond: z.number().int(),
    rowsPerSecondLastMinute: z.number().int().describe("Rows per second over the last minute of the job's work (up to now while it runs, up to its last batch once it ended)."),
    history: z
      .array(z.tuple([z.number(), z.number().int()]))
      .describe("The job's progress over its life: [seconds since it started, rows processed], at most one a second and fewer as the job grows old."),
    estimatedSecondsLeft: z.number().int().nullable(),
  }),
  createdAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  _links: z.object({ self: link, environment: link, errors: link, cancel: link, undo: link.optional() }),
});

/** PingOne's list envelope around `item`s under `_embedded[name]`. */
export function listOf(name: string, item: z.ZodType) {
  return z.object({
    _links: z.object({ self: link, next: link.optional() }),
    _embedded: z.object({ [name]: z.array(item) }),
    size: z.number().int(),
  });
}

const count = z.number().int();

/** The migration cockpit's numbers (issue 16), as lib/migration and its route write them. */
export const migrationSchema = z.object({
  environment: z.object({ id: uuid }),
  since: z.string().describe("The first UTC day (YYYY-MM-DD) of migrations.days."),
  users: z.object({
    total: count,
    current: count.describe("argon2id at today's parameters"),
    legacy: z.array(z.object({ scheme: z.string(), count })).describe("Stored values of every other scheme, each upgraded to argon2id at its first successful check."),
    external: z.array(
      z.object({
        gateway: z.object({ id: z.string(), name: z.string().nullable() }),
        userType: z.object({ id: z.string(), name: z.string().nullable() }),
        count,
        neverChecked: count,
      }),
    ),
    noPassword: count,
    mustChange: count.describe("Status MUST_CHANGE_PASSWORD; also counted in the states above."),
  }),
  migrations: z.object({
    upgraded: count,
    migrated: count,
    days: z.array(z.object({ day: z.string(), upgraded: count, migrated: count })),
  }),
  importJobs: z.array(
    z.object({
      id: uuid,
      status: z.enum(USER_IMPORT_JOB_STATUSES),
      dryRun: z.boolean(),
      fileName: z.string().nullable(),
      createdAt: timestamp,
      finishedAt: timestamp.nullable(),
      totalRows: count,
      created: count,
      updated: count,
      skipped: count,
      failed: count,
      _links: z.object({ self: link }),
    }),
  ),
  remaining: z.object({ neverChecked: count.describe("Users who have never had a successful password check since import.") }),
  _links: z.object({ self: link, remainingUsers: link, userImportJobs: link }),
});

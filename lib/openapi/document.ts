import "server-only";
import { z } from "zod";
import { ON_CONFLICT } from "@/db/enums";
import { userCreateSchema, userEnabledSchema, userImportSchema, userPopulationSchema, userUpdateSchema } from "@/lib/users/schema";
import { identityProviderBodySchema, populationBodySchema } from "@/lib/environments/schema";
import { IMPORT_MEDIA_TYPE } from "@/lib/users/media-types";
import { checkBodySchema, PASSWORD_CHECK_TYPE, PASSWORD_FORCE_CHANGE_TYPES, PASSWORD_SET_TYPE, setBodySchema } from "@/lib/users/password";
import { USER_SEND_VERIFICATION_CODE_TYPE, USER_VERIFY_TYPE } from "@/lib/verification/media-types";
import { verifyBodySchema } from "@/lib/users/verification";
import { applicationCreateSchema, roleAssignmentCreateSchema } from "@/lib/roles";
import { gatewaySchema, setGatewayBodySchema } from "@/lib/gateways/schema";
import { limitConfig } from "@/lib/rate-limit";
import * as R from "./resources";

/**
 * The OpenAPI 3.1 description of the API, generated from Zod: request bodies from the very
 * schemas the handlers parse with (lib/users/schema.ts, lib/users/password.ts,
 * lib/users/verification.ts, lib/roles), responses from lib/openapi/resources.ts.
 * JSON Schema by `z.toJSONSchema` (draft 2020-12, which OpenAPI 3.1 uses). Refinements that
 * JSON Schema cannot express (length in code points, password formats) are in the descriptions
 * and enforced by the server.
 */
type JsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: "input" | "output"): JsonSchema {
  const js = z.toJSONSchema(schema, {
    io,
    target: "draft-2020-12",
    unrepresentable: "any",
    // A field that must be left out (z.undefined()) is "anything but present".
    override: (ctx) => {
      if ((ctx.zodSchema as { _zod: { def: { type: string } } })._zod.def.type === "undefined") ctx.jsonSchema.not = {};
    },
  }) as JsonSchema;
  delete js.$schema;
  return js;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
// PingOne's spelling; media types are compared case-insensitively.
const SET_GATEWAY_DISPLAY_TYPE = "application/vnd.pingidentity.password.setGateway+json";

const SCHEMAS: Record<string, [z.ZodType, "input" | "output", string?]> = {
  UserImport: [userImportSchema, "input", "Create User (Import), spec 2.1. Unknown top-level attributes are ignored. username: 1-128 characters, unique per environment (case-insensitive). password.value: cleartext (argon2id-hashed, policy-checked) or a pre-encoded value of a supported scheme (spec 3.2)."],
  UserCreate: [userCreateSchema, "input", "Plain Create User: no password, no lifecycle, emailVerified only false; a missing population means the default population."],
  UserUpdate: [userUpdateSchema, "input", "Update User. PATCH merges: only the attributes sent change, null clears one (inside name, address and photo too). PUT replaces: email and the profile attributes become the body's (left out: cleared); username, population and the booleans left out stay. Same attribute rules and 16 KB profile limit as an import; a new username must be unique (400 UNIQUENESS_VIOLATION). population, identityProvider and lifecycle are read-only here: sent back unchanged they are accepted, changed they are 400. A changed email not sent with emailVerified is no longer verified."],
  UserPopulationUpdate: [userPopulationSchema, "input", "The population the user moves to."],
  UserEnabledUpdate: [userEnabledSchema, "input"],
  PopulationWrite: [populationBodySchema, "input", "name: unique in the environment (case-insensitive), 1-256 characters. default: true makes this the environment's one default population (the previous default stops being it, in the same transaction)."],
  IdentityProviderWrite: [identityProviderBodySchema, "input", "enabled defaults to true."],
  PasswordSet: [setBodySchema, "input"],
  PasswordCheck: [checkBodySchema, "input"],
  PasswordSetGateway: [setGatewayBodySchema, "input", "Links the user to a gateway user type (spec 5.3): password status EXTERNAL, a stored local hash is removed. correlationAttributes keys must be among the user type's orderedCorrelationAttributes."],
  GatewayWrite: [gatewaySchema, "input", "A gateway (spec 5.1). bindPassword is write-only: never returned; left out or null on PUT it keeps the stored one, an empty string removes it. userTypes left out on PUT are kept; sent, they become exactly these (an item with an existing id updates that user type, one without an id is added, the others are deleted)."],
  UserVerify: [verifyBodySchema, "input"],
  ApplicationCreate: [applicationCreateSchema, "input"],
  RoleAssignmentCreate: [roleAssignmentCreateSchema, "input", "role by id (see GET /roles) or by name; the caller must hold that role over the scope, or a wider one."],
  TokenRequest: [R.tokenRequestSchema, "input"],
  Error: [R.errorEnvelopeSchema, "output"],
  OAuthError: [R.oauthErrorSchema, "output"],
  Token: [R.tokenSchema, "output"],
  User: [R.userSchema, "output", "The user resource (spec 2.5). Never a password, hash or code."],
  Users: [R.listOf("users", R.userSchema), "output"],
  Migration: [R.migrationSchema, "output", "The migration cockpit (issue 16): users by password state, upgrades and gateway migrations per UTC day, import jobs, and who is left."],
  Environment: [R.environmentSchema, "output"],
  Environments: [R.listOf("environments", R.environmentSchema), "output"],
  Population: [R.populationSchema, "output"],
  Populations: [R.listOf("populations", R.populationSchema), "output"],
  IdentityProvider: [R.identityProviderSchema, "output"],
  UserEnabled: [R.userEnabledSchema, "output"],
  UserIdentityProvider: [R.userIdentityProviderSchema, "output"],
  IdentityProviders: [R.listOf("identityProviders", R.identityProviderSchema), "output"],
  Gateway: [R.gatewaySchema, "output", "A gateway and its user types. Never the bind password."],
  Gateways: [R.listOf("gateways", R.gatewaySchema), "output"],
  PasswordState: [R.passwordStateSchema, "output"],
  Application: [R.applicationSchema, "output"],
  Applications: [R.listOf("applications", R.applicationSchema), "output"],
  RoleAssignment: [R.roleAssignmentSchema, "output"],
  RoleAssignments: [R.listOf("roleAssignments", R.roleAssignmentSchema), "output"],
  Roles: [R.listOf("roles", R.roleSchema), "output"],
  UserImportJob: [R.userImportJobSchema, "output"],
  UserImportJobs: [R.listOf("userImportJobs", R.userImportJobSchema), "output"],
  Health: [R.healthSchema, "output"],
  Readiness: [R.readinessSchema, "output"],
};

type Op = {
  summary: string;
  description?: string;
  tag: string;
  auth?: boolean;
  body?: Record<string, string | null>; // media type -> schema name (null: no body)
  bodyRequired?: boolean;
  ok: Record<string, { description: string; schema?: string; types?: string[]; headers?: string[] }>;
  errors?: number[];
  parameters?: Record<string, unknown>[];
};

const ERROR_RESPONSES: Record<number, string> = {
  400: "INVALID_DATA (one detail per problem, target = attribute path), INVALID_REQUEST (malformed JSON) or REQUEST_FAILED.",
  401: "ACCESS_FAILED / INVALID_TOKEN: no, bad or expired bearer token.",
  403: "ACCESS_FAILED / INSUFFICIENT_PERMISSIONS: the caller's roles do not reach this resource.",
  404: "NOT_FOUND: no such environment or resource (or not visible to the caller).",
  413: "INVALID_REQUEST / SIZE_LIMIT_EXCEEDED: the body is larger than allowed.",
  415: "INVALID_REQUEST: unsupported Content-Type.",
  429: "REQUEST_LIMITED / LIMIT_EXCEEDED: over a rate limit; Retry-After says how many seconds to wait.",
  500: "UNEXPECTED_ERROR: never a stack trace; the id is in the server log.",
  503: "SERVICE_UNAVAILABLE: a dependency (the database, an external directory, the password-check workers) cannot serve the request now; Retry-After says when to try again.",
};

const limitParam = { name: "limit", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } };
const cursorParam = { name: "cursor", in: "query", required: false, description: "Opaque; taken from _links.next.href.", schema: { type: "string" } };
const filterParam = {
  name: "filter",
  in: "query",
  required: false,
  description:
    'PingOne\'s SCIM filter: `eq`, `sw`, `ew`, `co` on text (case-insensitive), `eq`, `gt`, `ge`, `lt`, `le` on `createdAt` and `updatedAt` (ISO 8601), `eq` on `enabled` (true/false), joined by `and` and `or` with parentheses, e.g. `(username sw "ad" or email ew "@example.com") and enabled eq true`. Attributes: username, email, name.given, name.family, name.middle, name.formatted, name.honorificPrefix, name.honorificSuffix, nickname, title, externalId, address.streetAddress, address.locality, address.region, address.postalCode, address.countryCode, primaryPhone, mobilePhone, locale, preferredLanguage, timezone, enabled, population.id, lifecycle.status, createdAt, updatedAt. Anything else is 400 INVALID_DATA with an INVALID_FILTER detail naming the attribute or operator. At most 50 comparisons, 10 levels of parentheses, 4096 characters.',
  schema: { type: "string" },
};

const OPS: Record<string, Record<string, Op>> = {
  "/{envID}/as/token": {
    post: {
      tag: "OAuth",
      summary: "Get an access token (client_credentials)",
      description: "Worker applications authenticate by HTTP Basic (CLIENT_SECRET_BASIC) or client_id/client_secret in the form (CLIENT_SECRET_POST). Errors follow RFC 6749 5.2; rate limits answer with the error envelope.",
      auth: false,
      body: { "application/x-www-form-urlencoded": "TokenRequest" },
      bodyRequired: true,
      ok: { "200": { description: "A signed JWT valid one hour, carrying the application's role assignments.", schema: "Token" }, "400": { description: "invalid_request or unsupported_grant_type", schema: "OAuthError" }, "401": { description: "invalid_client", schema: "OAuthError" } },
      errors: [413, 429, 500],
    },
  },
  "/environments": {
    get: { tag: "Environments", summary: "List the environments the caller holds a role in", ok: { "200": { description: "Environments", schema: "Environments" } } },
  },
  "/environments/{envID}": {
    get: { tag: "Environments", summary: "Read an environment", ok: { "200": { description: "The environment", schema: "Environment" } }, errors: [404] },
  },
  "/environments/{envID}/populations": {
    get: { tag: "Environments", summary: "List populations", ok: { "200": { description: "Populations", schema: "Populations" } }, errors: [403, 404] },
    post: {
      tag: "Environments",
      summary: "Create a population",
      description: "Needs Environment Admin over the environment. A name already used in the environment is 400 UNIQUENESS_VIOLATION (target name).",
      body: { "application/json": "PopulationWrite" },
      bodyRequired: true,
      ok: { "201": { description: "Created", schema: "Population", headers: ["Location"] } },
      errors: [400, 403, 404, 413, 415],
    },
  },
  "/environments/{envID}/populations/{populationID}": {
    get: { tag: "Environments", summary: "Read a population", ok: { "200": { description: "The population", schema: "Population" } }, errors: [403, 404] },
    put: {
      tag: "Environments",
      summary: "Update a population",
      description: "Needs Environment Admin. The fields are replaced (a description left out is cleared). default: true moves the default here; the default population stays the default until another one is made the default.",
      body: { "application/json": "PopulationWrite" },
      bodyRequired: true,
      ok: { "200": { description: "The population", schema: "Population" } },
      errors: [400, 403, 404, 413, 415],
    },
    delete: {
      tag: "Environments",
      summary: "Delete a population",
      description: "Needs Environment Admin. 400 REQUEST_FAILED while it holds users (the message says how many) or while it is the default population.",
      ok: { "204": { description: "Deleted" } },
      errors: [400, 403, 404],
    },
  },
  "/environments/{envID}/identityProviders": {
    get: { tag: "Environments", summary: "List identity providers", ok: { "200": { description: "Identity providers", schema: "IdentityProviders" } }, errors: [403, 404] },
    post: {
      tag: "Environments",
      summary: "Create an identity provider",
      description: "Needs Environment Admin over the environment.",
      body: { "application/json": "IdentityProviderWrite" },
      bodyRequired: true,
      ok: { "201": { description: "Created", schema: "IdentityProvider", headers: ["Location"] } },
      errors: [400, 403, 404, 413, 415],
    },
  },
  "/environments/{envID}/identityProviders/{identityProviderID}": {
    get: { tag: "Environments", summary: "Read an identity provider", ok: { "200": { description: "The identity provider", schema: "IdentityProvider" } }, errors: [403, 404] },
    put: {
      tag: "Environments",
      summary: "Update an identity provider",
      description: "Needs Environment Admin. type, name and enabled are replaced; users signing on with it report the new type.",
      body: { "application/json": "IdentityProviderWrite" },
      bodyRequired: true,
      ok: { "200": { description: "The identity provider", schema: "IdentityProvider" } },
      errors: [400, 403, 404, 413, 415],
    },
    delete: {
      tag: "Environments",
      summary: "Delete an identity provider",
      description: "Needs Environment Admin. 400 REQUEST_FAILED while users sign on with it.",
      ok: { "204": { description: "Deleted" } },
      errors: [400, 403, 404],
    },
  },
  "/environments/{envID}/gateways": {
    get: { tag: "Gateways", summary: "List gateways and their user types", ok: { "200": { description: "Gateways", schema: "Gateways" } }, errors: [403, 404] },
    post: {
      tag: "Gateways",
      summary: "Create a gateway",
      description: "Needs Environment Admin over the whole environment. For type LDAP the product connects to the servers itself (spec 5.1); the bind password is encrypted at rest.",
      body: { "application/json": "GatewayWrite" },
      bodyRequired: true,
      ok: { "201": { description: "Created", schema: "Gateway", headers: ["Location"] } },
      errors: [400, 403, 404, 413, 415],
    },
  },
  "/environments/{envID}/gateways/{gatewayID}": {
    get: { tag: "Gateways", summary: "Read a gateway", ok: { "200": { description: "The gateway", schema: "Gateway" } }, errors: [403, 404] },
    put: {
      tag: "Gateways",
      summary: "Replace a gateway's fields",
      description: "Needs Environment Admin over the whole environment. Every server process drops its connections to the gateway's directory on its next use of it. A user type moving from PING_ONE to LDAP authority returns its users' passwords to the directory (their stored hashes are removed).",
      body: { "application/json": "GatewayWrite" },
      bodyRequired: true,
      ok: { "200": { description: "The gateway", schema: "Gateway" } },
      errors: [400, 403, 404, 413, 415],
    },
    delete: { tag: "Gateways", summary: "Delete a gateway and its user types", description: "Users linked to it keep their link; their checks then fail until they are linked again.", ok: { "204": { description: "Deleted" } }, errors: [403, 404] },
  },
  "/environments/{envID}/users": {
    post: {
      tag: "Users",
      summary: "Create User (Import) or plain Create User, chosen by Content-Type",
      description: "Checked in this order (spec 2.2): 401, 404, 415, 400 INVALID_DATA, 403, references, username uniqueness (400 UNIQUENESS_VIOLATION), password policy. The user, its password and its audit event are written in one transaction.",
      body: { [IMPORT_MEDIA_TYPE]: "UserImport", "application/json": "UserCreate" },
      bodyRequired: true,
      ok: { "201": { description: "Created; Location names the user.", schema: "User", headers: ["Location"] } },
      errors: [400, 403, 404, 413, 415],
    },
    get: {
      tag: "Users",
      summary: "List users (keyset pages)",
      parameters: [limitParam, cursorParam, filterParam],
      ok: { "200": { description: "A page of users", schema: "Users" } },
      errors: [400, 403, 404],
    },
  },
  "/environments/{envID}/users/{userID}": {
    get: { tag: "Users", summary: "Read a user", ok: { "200": { description: "The user", schema: "User" } }, errors: [403, 404] },
    post: {
      tag: "Users",
      summary: "Verify User or Send Verification Code, chosen by Content-Type",
      description: `${USER_VERIFY_TYPE}: the code from the verification email; 200 with the user (lifecycle ACCOUNT_OK). A wrong code is 400 INVALID_VALUE; repeated wrong codes 429. ${USER_SEND_VERIFICATION_CODE_TYPE}: no body; a new code is sent, 204.`,
      body: { [USER_VERIFY_TYPE]: "UserVerify", [USER_SEND_VERIFICATION_CODE_TYPE]: null },
      ok: { "200": { description: "Verified", schema: "User" }, "204": { description: "A new code was sent." } },
      errors: [400, 403, 404, 415],
    },
    patch: {
      tag: "Users",
      summary: "Update a user (merge)",
      description: "Needs Identity Data Admin over the user's population, and roles covering the user's own role assignments. Only the attributes sent change; null clears one.",
      body: { "application/json": "UserUpdate" },
      bodyRequired: true,
      ok: { "200": { description: "The user", schema: "User" } },
      errors: [400, 403, 404, 413, 415],
    },
    put: {
      tag: "Users",
      summary: "Update a user (replace the profile)",
      description: "As PATCH, but email and the profile attributes left out are cleared; username and population stay.",
      body: { "application/json": "UserUpdate" },
      bodyRequired: true,
      ok: { "200": { description: "The user", schema: "User" } },
      errors: [400, 403, 404, 413, 415],
    },
    delete: {
      tag: "Users",
      summary: "Delete a user",
      description: "Needs Identity Data Admin over the user's population and roles covering the user's. The audit trail of the user stays. Deleting your own account is 400.",
      ok: { "204": { description: "Deleted" } },
      errors: [400, 403, 404],
    },
  },
  "/environments/{envID}/users/{userID}/population": {
    put: {
      tag: "Users",
      summary: "Move a user to another population",
      description: "Needs Identity Data Admin over both the user's population and the destination (403 for a destination out of reach, whether or not it exists), and roles covering the user's. An unknown destination is 400 INVALID_VALUE (target id).",
      body: { "application/json": "UserPopulationUpdate" },
      bodyRequired: true,
      ok: { "200": { description: "The user", schema: "User" } },
      errors: [400, 403, 404, 413, 415],
    },
  },
  "/environments/{envID}/users/{userID}/enabled": {
    get: { tag: "Users", summary: "Read whether a user is enabled", ok: { "200": { description: "Enabled", schema: "UserEnabled" } }, errors: [403, 404] },
    put: {
      tag: "Users",
      summary: "Enable or disable a user",
      description: "A disabled user cannot sign in; a console session of that user ends at its next request.",
      body: { "application/json": "UserEnabledUpdate" },
      bodyRequired: true,
      ok: { "200": { description: "Enabled", schema: "UserEnabled" } },
      errors: [400, 403, 404, 413, 415],
    },
  },
  "/environments/{envID}/users/{userID}/identityProvider": {
    get: { tag: "Users", summary: "Read a user's identity provider", ok: { "200": { description: "PING_ONE, or the provider's type and id", schema: "UserIdentityProvider" } }, errors: [403, 404] },
  },
  "/environments/{envID}/users/{userID}/password": {
    get: { tag: "Passwords", summary: "Read password state", ok: { "200": { description: "Password state", schema: "PasswordState" } }, errors: [403, 404] },
    put: {
      tag: "Passwords",
      summary: "Set Password, or link the user to a gateway (setGateway), chosen by Content-Type",
      description: `${PASSWORD_SET_TYPE}: same value rules as import: cleartext (policy-checked unless bypassPolicy) or a pre-encoded value. For a gateway user (status EXTERNAL) the new password is written to the directory, under its own policy, when the user type has allowPasswordChanges; otherwise 400 REQUEST_FAILED. ${SET_GATEWAY_DISPLAY_TYPE}: links the user to a gateway (spec 5.3).`,
      body: { [PASSWORD_SET_TYPE]: "PasswordSet", [SET_GATEWAY_DISPLAY_TYPE]: "PasswordSetGateway" },
      bodyRequired: true,
      ok: { "200": { description: "Password state", schema: "PasswordState" } },
      errors: [400, 403, 404, 415],
    },
    post: {
      tag: "Passwords",
      summary: "Check Password or Force Password Change, chosen by Content-Type",
      description: `${PASSWORD_CHECK_TYPE}: 200 when it matches (a legacy hash is then upgraded to argon2id), 400 INVALID_VALUE (target password) when not. A gateway user's password is checked by the directory (spec 5.2): the same 400 for a wrong password, an unknown entry or several entries; 503 SERVICE_UNAVAILABLE with Retry-After when the directory cannot be reached; PING_ONE authority migrates the password on the first success. ${PASSWORD_FORCE_CHANGE_TYPES.join(" or ")}: empty body; status MUST_CHANGE_PASSWORD.`,
      body: { [PASSWORD_CHECK_TYPE]: "PasswordCheck", ...Object.fromEntries(PASSWORD_FORCE_CHANGE_TYPES.map((t) => [t, null])) },
      ok: { "200": { description: "Password state", schema: "PasswordState" } },
      errors: [400, 403, 404, 415],
    },
  },
  "/environments/{envID}/userImportJobs": {
    post: {
      tag: "Bulk import",
      summary: "Start a bulk import job",
      description: `A CSV (header row of attribute paths), JSON Lines or JSON array file, as multipart/form-data (field \`file\`) or as the raw body (text/csv, application/x-ndjson, application/json); options \`dryRun\`, \`onConflict\` (${ON_CONFLICT.join(", ")}), \`defaultPopulationId\` and, for CSV, \`columns\` in the query string or as form fields before the file. Each row goes through the same rules, in the same order, as Create User (Import). onConflict=update changes an existing user's profile attributes, email, enabled, emailVerified and mfaEnabled; a row that also sets its password, lifecycle or identity provider is reported as an error. An LDIF file (RFC 2849; multipart \`file\` named *.ldif, or text/ldif, text/x-ldif, application/ldif) is mapped by the user type \`userTypeId\` names, else by the default mapping. A JSON object \`{source: {type: "LDAP", gateway: {id}, userType: {id}, filter?}, dryRun?, onConflict?}\` instead of a file starts a directory job: the job pages through the gateway's directory under the user type's searchBaseDn and imports each entry through the same rules.`,
      parameters: [
        { name: "userTypeId", in: "query", required: false, description: "LDIF only: the gateway user type whose attributeMappings map the entries; users whose hash cannot be copied are linked to its gateway.", schema: { type: "string", format: "uuid" } },
        { name: "dryRun", in: "query", required: false, schema: { type: "boolean" } },
        { name: "onConflict", in: "query", required: false, schema: { type: "string", enum: [...ON_CONFLICT] } },
        { name: "defaultPopulationId", in: "query", required: false, schema: { type: "string", format: "uuid" } },
        {
          name: "columns",
          in: "query",
          required: false,
          description: 'CSV only: a JSON array with the attribute path of each header column, in order (null or "" to ignore a column), used instead of the header\'s own names.',
          schema: { type: "string" },
        },
      ],
      body: { "multipart/form-data": null, "text/csv": null, "application/x-ndjson": null, "application/json": null, "text/ldif": null, "application/ldif": null },
      ok: { "202": { description: "The job, accepted", schema: "UserImportJob" } },
      errors: [400, 403, 404, 413, 415],
    },
    get: { tag: "Bulk import", summary: "List jobs", ok: { "200": { description: "Jobs", schema: "UserImportJobs" } }, errors: [403, 404] },
  },
  "/environments/{envID}/userImportJobs/{jobID}": {
    get: { tag: "Bulk import", summary: "Read a job: status, counts, progress", ok: { "200": { description: "The job", schema: "UserImportJob" } }, errors: [403, 404] },
  },
  "/environments/{envID}/userImportJobs/{jobID}/errors": {
    get: {
      tag: "Bulk import",
      summary: "The job's error report (JSON, or CSV with Accept: text/csv or ?format=csv)",
      description: "One line per failed row: row, username, target, code, message. Never a password or hash; CSV cells are escaped against formula injection.",
      parameters: [{ name: "format", in: "query", required: false, schema: { type: "string", enum: ["json", "csv"] } }],
      ok: { "200": { description: "The report", types: ["application/json", "text/csv"] } },
      errors: [403, 404],
    },
  },
  "/environments/{envID}/userImportJobs/{jobID}/cancel": {
    post: { tag: "Bulk import", summary: "Cancel a job", ok: { "200": { description: "The job", schema: "UserImportJob" } }, errors: [403, 404] },
  },
  "/environments/{envID}/userImportJobs/{jobID}/undo": {
    post: {
      tag: "Bulk import",
      summary: "Undo a job",
      description:
        "Starts a new job (kind undo, with progress, under the jobs API) that deletes the users the job created and restores the attributes of the users it updated. A user changed since the job wrote it, or one the caller may not write (population scope, or roles the caller does not hold), is left as it is and listed in the undo's error report. 400 INVALID_REQUEST for a dry run, a job still running, an undo, or a job already undone. Same roles as starting an import job.",
      ok: { "202": { description: "The undo job, accepted", schema: "UserImportJob", headers: ["Location"] } },
      errors: [400, 403, 404],
    },
  },
  "/environments/{envID}/migration": {
    get: {
      tag: "Users",
      summary: "How far the environment's migration has come",
      description: "Identity Data Read Only and up; a population-scoped reader sees only its populations and its own import jobs. Users by password state (one aggregate over an index), legacy hashes upgraded and gateway passwords migrated per UTC day from the audit events, the latest 50 import jobs, and the users never successfully checked since import.",
      parameters: [{ name: "days", in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 366, default: 30 } }],
      ok: { "200": { description: "The numbers", schema: "Migration" } },
      errors: [400, 403, 404],
    },
  },
  "/environments/{envID}/migration/remainingUsers": {
    get: {
      tag: "Users",
      summary: "The users never successfully checked since import, as CSV",
      description: "Streamed, in id order: id, username, email, populationId, populationName, passwordStatus, passwordScheme, createdAt. Never a password or hash; cells are escaped against formula injection.",
      ok: { "200": { description: "The list", types: ["text/csv"] } },
      errors: [403, 404],
    },
  },
  "/environments/{envID}/applications": {
    post: {
      tag: "Access",
      summary: "Create a worker application",
      description: "Needs Environment Admin. The client secret is in this answer only; only its argon2id hash is kept.",
      body: { "application/json": "ApplicationCreate" },
      bodyRequired: true,
      ok: { "201": { description: "Created, with clientSecret", schema: "Application", headers: ["Location"] } },
      errors: [400, 403, 404, 415],
    },
    get: { tag: "Access", summary: "List worker applications", ok: { "200": { description: "Applications", schema: "Applications" } }, errors: [403, 404] },
  },
  "/environments/{envID}/applications/{appID}": {
    get: { tag: "Access", summary: "Read a worker application", ok: { "200": { description: "The application (no secret)", schema: "Application" } }, errors: [403, 404] },
    delete: { tag: "Access", summary: "Delete a worker application", ok: { "204": { description: "Deleted; its secret and role assignments are gone." } }, errors: [403, 404] },
  },
  "/environments/{envID}/applications/{appID}/secret": {
    post: { tag: "Access", summary: "Rotate the client secret", ok: { "200": { description: "The application with its new clientSecret (shown once)", schema: "Application" } }, errors: [403, 404] },
  },
  "/environments/{envID}/applications/{appID}/roleAssignments": {
    post: {
      tag: "Access",
      summary: "Assign a role to the application",
      description: "An Environment Admin may assign only a role it holds itself over the same scope or a wider one.",
      body: { "application/json": "RoleAssignmentCreate" },
      bodyRequired: true,
      ok: { "201": { description: "Created", schema: "RoleAssignment", headers: ["Location"] } },
      errors: [400, 403, 404, 415],
    },
    get: { tag: "Access", summary: "List the application's role assignments", ok: { "200": { description: "Role assignments", schema: "RoleAssignments" } }, errors: [403, 404] },
  },
  "/environments/{envID}/applications/{appID}/roleAssignments/{roleAssignmentID}": {
    get: { tag: "Access", summary: "Read a role assignment", ok: { "200": { description: "The role assignment", schema: "RoleAssignment" } }, errors: [403, 404] },
    delete: { tag: "Access", summary: "Remove a role assignment", ok: { "204": { description: "Removed" } }, errors: [403, 404] },
  },
  "/roles": {
    get: { tag: "Access", summary: "List the roles (fixed ids)", ok: { "200": { description: "Roles", schema: "Roles" } } },
  },
  "/healthz": {
    get: { tag: "Operations", summary: "Liveness: the process is up", auth: false, ok: { "200": { description: "Up", schema: "Health" } }, errors: [] },
  },
  "/readyz": {
    get: {
      tag: "Operations",
      summary: "Readiness: database reachable, migrations current",
      auth: false,
      ok: { "200": { description: "Ready", schema: "Readiness" }, "503": { description: "Not ready", schema: "Readiness" } },
      errors: [],
    },
  },
  "/openapi.json": {
    get: { tag: "Operations", summary: "This document", auth: false, ok: { "200": { description: "OpenAPI 3.1", types: ["application/json"] } }, errors: [] },
  },
};

function operation(path: string, method: string, op: Op) {
  const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(op.ok)) {
    responses[status] = {
      description: r.description,
      ...(r.headers ? { headers: Object.fromEntries(r.headers.map((h) => [h, { schema: { type: "string" } }])) } : {}),
      ...(r.schema
        ? { content: { "application/json": { schema: ref(r.schema) } } }
        : r.types
          ? { content: Object.fromEntries(r.types.map((t) => [t, { schema: {} }])) }
          : {}),
    };
  }
  const auth = op.auth !== false;
  const errors = new Set([...(auth ? [401] : []), ...(op.errors ?? [403]), ...(path.startsWith("/healthz") || path.startsWith("/readyz") ? [] : [429]), 500, ...(path.startsWith("/healthz") ? [] : [503])]);
  for (const status of errors) {
    if (responses[status]) continue;
    responses[status] = { $ref: `#/components/responses/E${status}` };
  }
  return {
    tags: [op.tag],
    summary: op.summary,
    operationId: `${method}${path.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
    ...(op.description ? { description: op.description } : {}),
    ...(auth ? {} : { security: [] }),
    parameters: [...params, ...(op.parameters ?? [])],
    ...(op.body
      ? {
          requestBody: {
            required: op.bodyRequired ?? false,
            content: Object.fromEntries(Object.entries(op.body).map(([type, schema]) => [type, schema ? { schema: ref(schema) } : {}])),
          },
        }
      : {}),
    responses,
  };
}

let cached: Record<string, unknown> | undefined;

/** The document; `serverUrl` (the API's base, as the request reached us) goes into `servers`. */
export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  cached ??= build();
  return serverUrl ? { ...cached, servers: [{ url: serverUrl }] } : cached;
}

function build(): Record<string, unknown> {
  const limits = limitConfig();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, ops] of Object.entries(OPS)) {
    paths[path] = Object.fromEntries(Object.entries(ops).map(([method, op]) => [method, operation(path, method, op)]));
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "identity-import API",
      version: "1.0.0",
      description:
        "A PingOne-compatible user import API: a client written for PingOne works by changing its base URL (every /environments route also answers under /v1). " +
        `Rate limits (defaults; configurable): ${limits.apiPerIp.points} requests per ${limits.apiPerIp.seconds} s per source IP and ${limits.apiPerApplication.points} per worker application; ` +
        `${limits.token.points} token requests per ${limits.token.seconds} s per IP. Over a limit: 429 REQUEST_LIMITED with Retry-After (seconds).`,
    },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    security: [{ bearer: [] }],
    tags: ["OAuth", "Environments", "Gateways", "Users", "Passwords", "Bulk import", "Access", "Operations"].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "From POST /{envID}/as/token (client_credentials)." },
      },
      schemas: Object.fromEntries(
        Object.entries(SCHEMAS).map(([name, [schema, io, description]]) => [name, { ...toSchema(schema, io), ...(description ? { description } : {}) }]),
      ),
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([status, description]) => [
          `E${status}`,
          {
            description,
            ...(status === "429" || status === "503" ? { headers: { "Retry-After": { description: "Seconds to wait.", schema: { type: "integer" } } } } : {}),
            content: { "application/json": { schema: ref("Error") } },
          },
        ]),
      ),
    },
  };
}

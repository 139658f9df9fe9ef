import { z } from "zod";
import { GATEWAY_CONNECTION_SECURITY } from "@/db/schema";
import { expressionAttributes, MAPPABLE_ATTRIBUTES } from "./mapping";

/**
 * The one schema of a gateway body (spec 5.1, PingOne's field names), used by the API's POST and
 * PUT, the console's server actions and the OpenAPI document. Messages never echo the value sent
 * (bindPassword is a secret).
 */
export const GATEWAY_TYPES = ["LDAP", "PING_FEDERATE", "PING_INTELLIGENCE", "API_GATEWAY_INTEGRATION", "RADIUS"] as const;

export const GATEWAY_VENDORS = [
  "PingDirectory",
  "Microsoft Active Directory",
  "Oracle Directory Server Enterprise Edition",
  "Oracle Unified Directory",
  "CA Directory",
  "OpenDJ Directory",
  "IBM (Tivoli) Security Directory Server",
  "LDAP v3 compliant Directory Server",
] as const;

export const PASSWORD_AUTHORITIES = ["PING_ONE", "LDAP"] as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const storable = (s: string) => !s.includes("\u0000") && s.isWellFormed();
const NOT_STORABLE = "Must not contain NUL characters or unpaired UTF-16 surrogates.";
const required = (what: string) => (iss: { input?: unknown }) => (iss.input === undefined ? `${what} is required.` : `${what} must be a string.`);

function text(what: string, max: number) {
  return z
    .string({ error: required(what) })
    .trim()
    .max(max, { message: `${what} must be at most ${max} characters.` })
    .refine(storable, { message: NOT_STORABLE });
}

const nameSchema = text("A name", 256).min(1, { message: "A name is required." });
const optionalText = (what: string, max: number) =>
  text(what, max)
    .nullish()
    .transform((v) => (v ? v : null));

/** `host:port`, `[v6]:port`; the host a name or an address, the port 1-65535. */
const SERVER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?):(\d{1,5})$/;
const serverSchema = z
  .string({ error: "Each server must be a string host:port." })
  .trim()
  .refine((s) => {
    const m = SERVER.exec(s);
    return !!m && Number(m[1]) >= 1 && Number(m[1]) <= 65535;
  }, { message: "Each server must be host:port (a port from 1 to 65535), e.g. ldap.example.com:636." });

const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

const correlationAttributesSchema = z
  .array(z.string({ error: "Link attributes are strings." }).trim(), { error: "Must be an array of attribute names." })
  .transform((list) => [...new Set(list.filter(Boolean))])
  .refine((list) => list.length > 0, { message: "Name at least one link attribute (e.g. uid)." })
  .refine((list) => list.length <= 16, { message: "At most 16 link attributes." })
  .refine((list) => list.every((a) => ATTRIBUTE_NAME.test(a)), {
    message: "Link attributes are LDAP attribute names: letters, digits and '-', starting with a letter.",
  });

const mappingSchema = z.object({
  name: z.enum(MAPPABLE_ATTRIBUTES, { error: () => `name must be one of the user attributes ${MAPPABLE_ATTRIBUTES.join(", ")}.` }),
  value: z
    .string({ error: "value must be a string such as ${ldapAttributes.mail}." })
    .max(1024, { message: "value must be at most 1024 characters." })
    .refine(storable, { message: NOT_STORABLE })
    .refine((v) => expressionAttributes(v) !== null, { message: "value must name LDAP attributes as ${ldapAttributes.NAME}, e.g. ${ldapAttributes.mail}." }),
});

const newUserLookupSchema = z.object({
  ldapFilterPattern: text("ldapFilterPattern", 1024).nullish().transform((v) => v || "(objectClass=person)"),
  population: z.object({ id: z.string().regex(UUID, { message: "Must be a UUID." }) }).nullish(),
  attributeMappings: z
    .array(mappingSchema)
    .max(64, { message: "At most 64 attribute mappings." })
    .nullish()
    .transform((v) => v ?? [])
    .refine((list) => new Set(list.map((m) => m.name)).size === list.length, { message: "Map each user attribute once." }),
});

const bool = (what: string) => z.boolean({ error: `${what} must be true or false.` });

export const userTypeSchema = z.object({
  id: z.string().regex(UUID, { message: "Must be a UUID." }).nullish(),
  name: nameSchema,
  passwordAuthority: z.enum(PASSWORD_AUTHORITIES, { error: () => "passwordAuthority must be PING_ONE or LDAP." }).nullish().transform((v) => v ?? "LDAP"),
  searchBaseDn: optionalText("searchBaseDn", 1024),
  orderedCorrelationAttributes: correlationAttributesSchema,
  allowPasswordChanges: bool("allowPasswordChanges").nullish().transform((v) => v ?? false),
  updateUserOnSuccessfulAuthentication: bool("updateUserOnSuccessfulAuthentication").nullish().transform((v) => v ?? false),
  newUserLookup: newUserLookupSchema.nullish().transform((v) => v ?? null),
});

export const gatewaySchema = z.object({
  name: nameSchema,
  description: optionalText("description", 1024),
  type: z.enum(GATEWAY_TYPES, { error: () => `The type must be one of ${GATEWAY_TYPES.join(", ")}.` }),
  enabled: bool("enabled").nullish().transform((v) => v ?? true),
  servers: z
    .array(serverSchema, { error: "servers must be an array of host:port strings." })
    .max(16, { message: "At most 16 servers." })
    .nullish()
    .transform((v) => v ?? []),
  bindDN: optionalText("bindDN", 1024),
  /** Write-only. Left out (or null) on PUT: the stored one is kept. An empty string removes it. */
  bindPassword: z
    .string({ error: "bindPassword must be a string." })
    .max(1024, { message: "bindPassword must be at most 1024 characters." })
    .refine(storable, { message: NOT_STORABLE })
    .nullish(),
  connectionSecurity: z
    .enum(GATEWAY_CONNECTION_SECURITY, { error: () => "connectionSecurity must be None, TLS or StartTLS." })
    .nullish()
    .transform((v) => v ?? "None"),
  validateTlsCertificates: bool("validateTlsCertificates").nullish().transform((v) => v ?? true),
  vendor: z.enum(GATEWAY_VENDORS, { error: () => `vendor must be one of ${GATEWAY_VENDORS.join(", ")}.` }).nullish().transform((v) => v ?? null),
  /** Left out on PUT: the user types stay as they are. Sent: the gateway's user types become these (by id). */
  userTypes: z.array(userTypeSchema).max(32, { message: "At most 32 user types." }).optional(),
});

export type GatewayInput = z.output<typeof gatewaySchema>;
export type UserTypeInput = z.output<typeof userTypeSchema>;
export type GatewayBody = z.input<typeof gatewaySchema>;
export type UserTypeBody = z.input<typeof userTypeSchema>;

/** Link an existing user to a gateway (spec 5.3): the body of the setGateway media type. */
export const setGatewayBodySchema = z.object({
  id: z.string({ error: "id (the gateway) is required." }).regex(UUID, { message: "Must be a UUID." }),
  userType: z.object({ id: z.string({ error: "userType.id is required." }).regex(UUID, { message: "Must be a UUID." }) }, { error: "userType.id is required." }),
  correlationAttributes: z
    .record(
      z.string().refine(storable, { message: NOT_STORABLE }),
      z.string({ error: "Must be a string." }).max(1024, { message: "Must be at most 1024 characters." }).refine(storable, { message: NOT_STORABLE }),
      { error: "correlationAttributes must be an object of strings." },
    )
    .nullish()
    .transform((v) => v ?? {}),
});

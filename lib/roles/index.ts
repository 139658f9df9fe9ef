import { z } from "zod";
import { ROLES, SCOPE_TYPES, type RoleName } from "@/db/schema";
import { ROLE_LABELS, ROLE_SCOPES } from "@/lib/access";
import { invalidData } from "@/lib/api/errors";
import { UUID_RE } from "@/lib/ids";

/**
 * The roles as API resources (GET /roles), PingOne-style: each has a fixed id that never
 * changes between installations, so scripts may hard-code it, and PingOne's display name.
 */
export const ROLE_IDS: Record<RoleName, string> = {
  ENVIRONMENT_ADMIN: "6f4b3c2a-0e1d-4a5b-9c01-000000000001",
  IDENTITY_DATA_ADMIN: "6f4b3c2a-0e1d-4a5b-9c01-000000000002",
  IDENTITY_DATA_READ_ONLY: "6f4b3c2a-0e1d-4a5b-9c01-000000000003",
};

const DESCRIPTIONS: Record<RoleName, string> = {
  ENVIRONMENT_ADMIN: "Everything in its environments: populations, providers, gateways, applications, role assignments and users.",
  IDENTITY_DATA_ADMIN: "Import, create, read and update users and their passwords in its scope.",
  IDENTITY_DATA_READ_ONLY: "Read users in its scope.",
};

export function roleResource(base: string, role: RoleName) {
  return {
    _links: { self: { href: `${base}/roles/${ROLE_IDS[role]}` } },
    id: ROLE_IDS[role],
    name: ROLE_LABELS[role],
    description: DESCRIPTIONS[role],
    applicableTo: ROLE_SCOPES[role],
  };
}

export function allRoles(): RoleName[] {
  return [...ROLES];
}

/** A role named by its id, PingOne display name ("Identity Data Admin") or constant (IDENTITY_DATA_ADMIN). */
export function resolveRole(ref: { id?: string | null; name?: string | null }): RoleName {
  const byId = ref.id ? ROLES.find((r) => ROLE_IDS[r] === ref.id!.toLowerCase()) : undefined;
  const byName = ref.name ? ROLES.find((r) => r === ref.name || ROLE_LABELS[r].toLowerCase() === ref.name!.toLowerCase()) : undefined;
  const role = ref.id ? byId : byName;
  if (!role || (ref.id && ref.name && byName !== byId)) {
    throw invalidData([{ code: "INVALID_VALUE", target: ref.id ? "role.id" : "role.name", message: "No such role: see GET /roles." }]);
  }
  return role;
}

/** Body of POST .../applications (a worker application). */
export const applicationCreateSchema = z.object({
  name: z.string().min(1).max(256).meta({ description: "Display name of the worker application." }),
  type: z.literal("WORKER").optional().meta({ description: "Only worker applications are supported." }),
  protocol: z.literal("OPENID_CONNECT").optional(),
  tokenEndpointAuthMethod: z.enum(["CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST"]).optional(),
});

/** Body of POST .../applications/{appID}/roleAssignments. */
export const roleAssignmentCreateSchema = z.object({
  role: z
    .object({ id: z.string().regex(UUID_RE).optional(), name: z.string().min(1).optional() })
    .refine((r) => r.id !== undefined || r.name !== undefined, { message: "Give role.id or role.name." }),
  scope: z.object({
    type: z.enum(SCOPE_TYPES),
    id: z.string().regex(UUID_RE),
  }),
});

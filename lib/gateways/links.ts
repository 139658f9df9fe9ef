import "server-only";
import { and, eq } from "drizzle-orm";
import type { Executor } from "@/db";
import { gatewayUserTypes, gateways, type ExternalPassword, type GatewayConnectionSecurity, type GatewayNewUserLookup } from "@/db/schema";
import { requestFailed } from "@/lib/api/errors";
import { checkGatewayLink } from "./link-rule";

/**
 * A user's link to a gateway (spec 5): which gateway and user type, and the values by which the
 * gateway finds the user's entry. `resolveGatewayLink` is the rule for a link that a caller
 * sends (import's password.external.gateway, Set Password's setGateway); `loadLink` reads what
 * a stored link points at, for the operations that go to the directory.
 */
export async function resolveGatewayLink(
  db: Executor,
  environmentId: string,
  link: { id: string; userType: { id: string }; correlationAttributes?: Record<string, string> | null },
  targetPrefix: string,
): Promise<ExternalPassword> {
  const rows = await db
    .select({ userTypeId: gatewayUserTypes.id, attributes: gatewayUserTypes.orderedCorrelationAttributes })
    .from(gateways)
    .leftJoin(gatewayUserTypes, eq(gatewayUserTypes.gatewayId, gateways.id))
    .where(and(eq(gateways.id, link.id.toLowerCase()), eq(gateways.environmentId, environmentId)));
  const userTypes = rows.length ? new Map(rows.flatMap((r) => (r.userTypeId ? [[r.userTypeId, r.attributes ?? []] as const] : []))) : undefined;
  return checkGatewayLink(link, userTypes, targetPrefix);
}

export type LoadedLink = {
  gateway: {
    id: string;
    name: string;
    type: string;
    enabled: boolean;
    version: number;
    servers: string[];
    bindDn: string | null;
    bindPasswordCiphertext: string | null;
    connectionSecurity: GatewayConnectionSecurity;
    validateTlsCertificates: boolean;
  };
  userType: {
    id: string;
    name: string;
    passwordAuthority: "PING_ONE" | "LDAP";
    searchBaseDn: string | null;
    orderedCorrelationAttributes: string[];
    allowPasswordChanges: boolean;
    updateUserOnSuccessfulAuthentication: boolean;
    newUserLookup: GatewayNewUserLookup | null;
  };
};

/** What a LoadedLink is read from: the gateway and user type columns (also joined into the target user's read, lib/users/target.ts). */
export const LINK_COLUMNS = {
  gateway: {
    id: gateways.id,
    name: gateways.name,
    type: gateways.type,
    enabled: gateways.enabled,
    version: gateways.version,
    servers: gateways.servers,
    bindDn: gateways.bindDn,
    bindPasswordCiphertext: gateways.bindPasswordCiphertext,
    connectionSecurity: gateways.connectionSecurity,
    validateTlsCertificates: gateways.validateTlsCertificates,
  },
  userType: {
    id: gatewayUserTypes.id,
    name: gatewayUserTypes.name,
    passwordAuthority: gatewayUserTypes.passwordAuthority,
    searchBaseDn: gatewayUserTypes.searchBaseDn,
    orderedCorrelationAttributes: gatewayUserTypes.orderedCorrelationAttributes,
    allowPasswordChanges: gatewayUserTypes.allowPasswordChanges,
    updateUserOnSuccessfulAuthentication: gatewayUserTypes.updateUserOnSuccessfulAuthentication,
    newUserLookup: gatewayUserTypes.newUserLookup,
  },
};

/** The gateway and user type of a stored link as read (either may be missing), or a 400 saying the link is broken. */
export function linkOf(row: { gateway: LoadedLink["gateway"] | null; userType: LoadedLink["userType"] | null } | undefined): LoadedLink {
  if (!row?.gateway) throw requestFailed("The gateway this user is linked to no longer exists: link the user to a gateway again.");
  if (!row.userType) throw requestFailed("The gateway user type this user is linked to no longer exists: link the user to a gateway again.");
  return row as LoadedLink;
}

/** The gateway and user type a stored link points at, or a 400 saying the link is broken. */
export async function loadLink(db: Executor, environmentId: string, link: ExternalPassword): Promise<LoadedLink> {
  const [row] = await db
    .select(LINK_COLUMNS)
    .from(gateways)
    .leftJoin(gatewayUserTypes, and(eq(gatewayUserTypes.gatewayId, gateways.id), eq(gatewayUserTypes.id, link.userTypeId)))
    .where(and(eq(gateways.id, link.gatewayId), eq(gateways.environmentId, environmentId)));
  return linkOf(row);
}

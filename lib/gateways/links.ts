import "server-only";
import { and, eq } from "drizzle-orm";
import type { Executor } from "@/db";
import { gatewayUserTypes, gateways, type ExternalPassword, type GatewayConnectionSecurity, type GatewayNewUserLookup } from "@/db/schema";
import { invalidData, requestFailed } from "@/lib/api/errors";

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
  const [found] = await db
    .select({ gatewayId: gateways.id, userTypeId: gatewayUserTypes.id, attributes: gatewayUserTypes.orderedCorrelationAttributes })
    .from(gateways)
    .leftJoin(gatewayUserTypes, and(eq(gatewayUserTypes.gatewayId, gateways.id), eq(gatewayUserTypes.id, link.userType.id.toLowerCase())))
    .where(and(eq(gateways.id, link.id.toLowerCase()), eq(gateways.environmentId, environmentId)));
  if (!found) throw invalidData([{ code: "INVALID_VALUE", target: `${targetPrefix}id`, message: "No gateway with this id exists in the environment." }]);
  if (!found.userTypeId) throw invalidData([{ code: "INVALID_VALUE", target: `${targetPrefix}userType.id`, message: "The gateway has no user type with this id." }]);
  const allowed = new Set(found.attributes ?? []);
  const attrs = link.correlationAttributes ?? {};
  const unknown = Object.keys(attrs).filter((k) => !allowed.has(k));
  if (unknown.length) {
    throw invalidData(
      unknown.map((k) => ({
        code: "INVALID_VALUE" as const,
        target: `${targetPrefix}correlationAttributes.${k}`,
        message: `"${k}" is not a link attribute of this user type (allowed: ${[...allowed].join(", ") || "none"}).`,
      })),
    );
  }
  return { gatewayId: found.gatewayId, userTypeId: found.userTypeId, correlationAttributes: attrs };
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

/** The gateway and user type a stored link points at, or a 400 saying the link is broken. */
export async function loadLink(db: Executor, environmentId: string, link: ExternalPassword): Promise<LoadedLink> {
  const [row] = await db
    .select({
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
    })
    .from(gateways)
    .leftJoin(gatewayUserTypes, and(eq(gatewayUserTypes.gatewayId, gateways.id), eq(gatewayUserTypes.id, link.userTypeId)))
    .where(and(eq(gateways.id, link.gatewayId), eq(gateways.environmentId, environmentId)));
  if (!row) throw requestFailed("The gateway this user is linked to no longer exists: link the user to a gateway again.");
  if (!row.userType) throw requestFailed("The gateway user type this user is linked to no longer exists: link the user to a gateway again.");
  return row as LoadedLink;
}

import type { GatewayUserTypeView, GatewayView } from "./manage";

/**
 * The gateway resource as every read returns it (spec 5.1, PingOne's field names). It names each
 * field it emits, so the bind password (sealed or not) cannot reach a response.
 */
export function userTypeResource(t: GatewayUserTypeView) {
  return {
    id: t.id,
    name: t.name,
    passwordAuthority: t.passwordAuthority,
    ...(t.searchBaseDn ? { searchBaseDn: t.searchBaseDn } : {}),
    orderedCorrelationAttributes: t.orderedCorrelationAttributes,
    allowPasswordChanges: t.allowPasswordChanges,
    updateUserOnSuccessfulAuthentication: t.updateUserOnSuccessfulAuthentication,
    ...(t.newUserLookup
      ? {
          newUserLookup: {
            ldapFilterPattern: t.newUserLookup.ldapFilterPattern,
            ...(t.newUserLookup.populationId ? { population: { id: t.newUserLookup.populationId } } : {}),
            attributeMappings: t.newUserLookup.attributeMappings.map((m) => ({ name: m.name, value: m.value })),
          },
        }
      : {}),
  };
}

export function gatewayResource(base: string, g: GatewayView) {
  const self = `${base}/environments/${g.environmentId}/gateways/${g.id}`;
  return {
    _links: { self: { href: self }, environment: { href: `${base}/environments/${g.environmentId}` } },
    id: g.id,
    type: g.type,
    name: g.name,
    ...(g.description ? { description: g.description } : {}),
    enabled: g.enabled,
    environment: { id: g.environmentId },
    servers: g.servers,
    ...(g.bindDn ? { bindDN: g.bindDn } : {}),
    connectionSecurity: g.connectionSecurity,
    validateTlsCertificates: g.validateTlsCertificates,
    ...(g.vendor ? { vendor: g.vendor } : {}),
    userTypes: g.userTypes.map(userTypeResource),
    createdAt: g.createdAt.toISOString(),
    updatedAt: g.updatedAt.toISOString(),
  };
}

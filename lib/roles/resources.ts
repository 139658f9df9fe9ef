import type { ApplicationSummary } from "@/lib/applications";
import type { RoleAssignmentView } from "./assignments";
import { ROLE_IDS } from "./index";

/** Serializers of applications and role assignments (PingOne's shapes); a client secret only where passed in. */
export function applicationResource(base: string, a: ApplicationSummary, clientSecret?: string) {
  const self = `${base}/environments/${a.environmentId}/applications/${a.id}`;
  return {
    _links: {
      self: { href: self },
      environment: { href: `${base}/environments/${a.environmentId}` },
      roleAssignments: { href: `${self}/roleAssignments` },
      secret: { href: `${self}/secret` },
    },
    id: a.id,
    environment: { id: a.environmentId },
    name: a.name,
    enabled: a.enabled,
    type: "WORKER" as const,
    protocol: "OPENID_CONNECT" as const,
    grantTypes: ["CLIENT_CREDENTIALS"] as const,
    tokenEndpointAuthMethod: a.tokenEndpointAuthMethod,
    ...(clientSecret !== undefined ? { clientSecret } : {}),
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

export function roleAssignmentResource(base: string, environmentId: string, applicationId: string, r: RoleAssignmentView) {
  return {
    _links: {
      self: { href: `${base}/environments/${environmentId}/applications/${applicationId}/roleAssignments/${r.id}` },
      role: { href: `${base}/roles/${ROLE_IDS[r.role]}` },
    },
    id: r.id,
    role: { id: ROLE_IDS[r.role] },
    scope: { id: r.scope.id, type: r.scope.type },
    environment: { id: environmentId },
    readOnly: false,
    createdAt: r.createdAt.toISOString(),
  };
}

/** Serializers of the environment-level resources (spec 1); each names the columns it emits. */
type Dated = { createdAt: Date; updatedAt?: Date };
const dates = (r: Dated) => ({ createdAt: r.createdAt.toISOString(), ...(r.updatedAt ? { updatedAt: r.updatedAt.toISOString() } : {}) });

export function environmentResource(base: string, e: { id: string; organizationId: string; name: string; description: string | null; createdAt: Date }) {
  return {
    _links: { self: { href: `${base}/environments/${e.id}` }, populations: { href: `${base}/environments/${e.id}/populations` }, users: { href: `${base}/environments/${e.id}/users` } },
    id: e.id,
    organization: { id: e.organizationId },
    name: e.name,
    ...(e.description ? { description: e.description } : {}),
    ...dates(e),
  };
}

export function populationResource(base: string, environmentId: string, p: { id: string; name: string; description: string | null; isDefault: boolean } & Dated) {
  return {
    _links: { self: { href: `${base}/environments/${environmentId}/populations/${p.id}` }, environment: { href: `${base}/environments/${environmentId}` } },
    id: p.id,
    name: p.name,
    environment: { id: environmentId },
    ...(p.description ? { description: p.description } : {}),
    default: p.isDefault,
    ...dates(p),
  };
}

export function identityProviderResource(base: string, environmentId: string, p: { id: string; type: string; name: string; enabled: boolean } & Dated) {
  return {
    _links: { self: { href: `${base}/environments/${environmentId}/identityProviders/${p.id}` }, environment: { href: `${base}/environments/${environmentId}` } },
    id: p.id,
    type: p.type,
    name: p.name,
    enabled: p.enabled,
    environment: { id: environmentId },
    ...dates(p),
  };
}

import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, readJson, route, otherMethods } from "@/lib/api/http";
import { listBody } from "@/lib/api/lists";
import { parseOrInvalid } from "@/lib/api/validation";
import { listIdentityProviders, requireEnvironment } from "@/lib/environments";
import { createIdentityProvider } from "@/lib/environments/manage";
import { identityProviderResource } from "@/lib/environments/resources";
import { identityProviderBodySchema } from "@/lib/environments/schema";

export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const base = apiBase(req);
  const items = await listIdentityProviders(actor, envId);
  return json(listBody("identityProviders", items.map((x) => identityProviderResource(base, envId, x)), `${base}/environments/${envId}/identityProviders`));
});

/** Create Identity Provider (issue 14.2): Environment Admin over the environment. */
export const POST = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send the identity provider as application/json.");
  const body = parseOrInvalid(identityProviderBodySchema, await readJson(req));
  const p = identityProviderResource(apiBase(req), envId, await createIdentityProvider(actor, envId, { type: body.type, name: body.name, enabled: body.enabled ?? true }));
  return json(p, 201, { location: p._links.self.href });
});

export const { HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ GET, POST });

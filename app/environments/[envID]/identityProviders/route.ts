import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { listBody } from "@/lib/api/lists";
import { listIdentityProviders, requireEnvironment } from "@/lib/environments";
import { identityProviderResource } from "@/lib/environments/resources";

export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const base = apiBase(req);
  const items = await listIdentityProviders(actor, envId);
  return json(listBody("identityProviders", items.map((x) => identityProviderResource(base, envId, x)), `${base}/environments/${envId}/identityProviders`));
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, readJson, route, otherMethods } from "@/lib/api/http";
import { parseOrInvalid } from "@/lib/api/validation";
import { getIdentityProvider, requireEnvironment } from "@/lib/environments";
import { deleteIdentityProvider, updateIdentityProvider } from "@/lib/environments/manage";
import { identityProviderResource } from "@/lib/environments/resources";
import { identityProviderBodySchema } from "@/lib/environments/schema";

type Params = { envID: string; identityProviderID: string };

export const GET = route<Params>(async (req, { envID, identityProviderID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  return json(identityProviderResource(apiBase(req), envId, await getIdentityProvider(actor, envId, identityProviderID)));
});

/** Update Identity Provider: type, name and enabled are replaced (enabled left out means true). */
export const PUT = route<Params>(async (req, { envID, identityProviderID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send the identity provider as application/json.");
  const body = parseOrInvalid(identityProviderBodySchema, await readJson(req));
  const p = await updateIdentityProvider(actor, envId, identityProviderID, { type: body.type, name: body.name, enabled: body.enabled ?? true });
  return json(identityProviderResource(apiBase(req), envId, p));
});

/** Delete Identity Provider: 400 while users sign on with it. */
export const DELETE = route<Params>(async (req, { envID, identityProviderID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  await deleteIdentityProvider(actor, envId, identityProviderID);
  return new Response(null, { status: 204 });
});

export const { HEAD, OPTIONS, POST, PATCH } = otherMethods({ GET, PUT, DELETE });

import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { getUser } from "@/lib/users/queries";
import { userIdentityProviderResource } from "@/lib/users/resource";

/** Read User Identity Provider: `{type: PING_ONE}` or the provider's `{type, id}`. */
export const GET = route<{ envID: string; userID: string }>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  return json(userIdentityProviderResource(await getUser(actor, envId, userID), apiBase(req)));
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

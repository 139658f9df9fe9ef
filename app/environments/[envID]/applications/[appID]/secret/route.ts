import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { rotateApplicationSecret } from "@/lib/applications";
import { requireEnvironment } from "@/lib/environments";
import { applicationResource } from "@/lib/roles/resources";

/** A new client secret, returned once; the old one stops working at once. */
export const POST = route<{ envID: string; appID: string }>(async (req, { envID, appID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const { application, clientSecret } = await rotateApplicationSecret(actor, envId, appID);
  return json(applicationResource(apiBase(req), application, clientSecret));
});

export const { GET, HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ POST });

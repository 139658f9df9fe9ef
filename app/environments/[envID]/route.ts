import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { getEnvironment } from "@/lib/environments";
import { environmentResource } from "@/lib/environments/resources";

export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  return json(environmentResource(apiBase(req), await getEnvironment(actor, envID)));
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { getUser } from "@/lib/users/queries";
import { toUserResource } from "@/lib/users/resource";

export const GET = route<{ envID: string; userID: string }>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const user = await getUser(actor, envId, userID);
  return json(toUserResource(user, apiBase(req)));
});

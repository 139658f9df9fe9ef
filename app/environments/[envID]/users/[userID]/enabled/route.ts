import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, readJson, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { setUserEnabled } from "@/lib/users/manage";
import { getUser } from "@/lib/users/queries";
import { userEnabledResource } from "@/lib/users/resource";

type Params = { envID: string; userID: string };

/** Read User Enabled. */
export const GET = route<Params>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const user = await getUser(actor, envId, userID);
  return json(userEnabledResource(user, user.enabled, apiBase(req)));
});

/** Update User Enabled: `{enabled}`. */
export const PUT = route<Params>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send {\"enabled\": true|false} as application/json.");
  const { user, enabled } = await setUserEnabled(actor, envId, userID, await readJson(req));
  return json(userEnabledResource(user, enabled, apiBase(req)));
});

export const { HEAD, OPTIONS, POST, DELETE, PATCH } = otherMethods({ GET, PUT });

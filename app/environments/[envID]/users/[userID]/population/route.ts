import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, readJson, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { moveUser } from "@/lib/users/manage";
import { toUserResource } from "@/lib/users/resource";

/** Update User Population (issue 14.3): `{id}`; write access to both populations. Answers the user. */
export const PUT = route<{ envID: string; userID: string }>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send the population as application/json: {\"id\": \"...\"}.");
  return json(toUserResource(await moveUser(actor, envId, userID, await readJson(req)), apiBase(req)));
});

export const { HEAD, OPTIONS, GET, POST, DELETE, PATCH } = otherMethods({ PUT });

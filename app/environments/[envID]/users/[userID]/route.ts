import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, readBody, readJson, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { getUser } from "@/lib/users/queries";
import { toUserResource } from "@/lib/users/resource";
import { USER_SEND_VERIFICATION_CODE_TYPE, USER_VERIFY_TYPE } from "@/lib/verification/media-types";
import { sendVerificationCode, verifyUser } from "@/lib/users/verification";
import { deleteUser, updateUser, type UpdateMode } from "@/lib/users/manage";

type Params = { envID: string; userID: string };

export const GET = route<{ envID: string; userID: string }>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const user = await getUser(actor, envId, userID);
  return json(toUserResource(user, apiBase(req)));
});

/**
 * User operations chosen by Content-Type (spec 4): Verify User (200, the user) and
 * Send/Resend User Verification Code (204 No Content, our choice: PingOne documents no body).
 */
export const POST = route<{ envID: string; userID: string }>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const type = mediaType(req);
  if (type === USER_VERIFY_TYPE) {
    const user = await verifyUser(actor, envId, userID, await readJson(req));
    return json(toUserResource(user, apiBase(req)));
  }
  if (type === USER_SEND_VERIFICATION_CODE_TYPE) {
    await readBody(req); // no body is expected; an empty object is tolerated
    await sendVerificationCode(actor, envId, userID);
    return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
  }
  throw new ApiError(
    415,
    "INVALID_REQUEST",
    `Unsupported Content-Type: use ${USER_VERIFY_TYPE} to verify the user or application/vnd.pingidentity.user.sendVerificationCode+json to send a new code.`,
  );
});

function update(mode: UpdateMode) {
  return route<Params>(async (req, { envID, userID }) => {
    const actor = await actorFromRequest(req);
    const { id: envId } = await requireEnvironment(envID);
    if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send the user's attributes as application/json.");
    return json(toUserResource(await updateUser(actor, envId, userID, await readJson(req), mode), apiBase(req)));
  });
}

/** Update User, merge (issue 14.3): only what the body names changes; null clears. */
export const PATCH = update("merge");

/** Update User, replace: the profile attributes and email become the body's; username and population stay. */
export const PUT = update("replace");

/** Delete User: 204; the audit trail stays. */
export const DELETE = route<Params>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  await deleteUser(actor, envId, userID);
  return new Response(null, { status: 204 });
});

export const { HEAD, OPTIONS } = otherMethods({ GET, POST, PUT, PATCH, DELETE });

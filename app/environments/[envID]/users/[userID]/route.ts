import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, readBody, readJson, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { getUser } from "@/lib/users/queries";
import { toUserResource } from "@/lib/users/resource";
import { USER_SEND_VERIFICATION_CODE_TYPE, USER_VERIFY_TYPE } from "@/lib/verification/media-types";
import { sendVerificationCode, verifyUser } from "@/lib/users/verification";

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

export const { HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ GET, POST });

import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, readBody, readJson, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import {
  checkPassword,
  forcePasswordChange,
  getPasswordState,
  PASSWORD_CHECK_TYPE,
  PASSWORD_FORCE_CHANGE_TYPES,
  PASSWORD_SET_GATEWAY_TYPE,
  PASSWORD_SET_TYPE,
  setPassword,
  setPasswordGateway,
  type PasswordState,
} from "@/lib/users/password";

type Params = { envID: string; userID: string };

function body(req: Request, state: PasswordState) {
  const self = `${apiBase(req)}/environments/${state.environment.id}/users/${state.user.id}/password`;
  return { _links: { self: { href: self }, user: { href: self.slice(0, -"/password".length) } }, ...state };
}

/** Read password state (spec 3.4). */
export const GET = route<Params>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  return json(body(req, await getPasswordState(actor, envId, userID)));
});

/** Set Password (spec 3.4), or link the user to a gateway (setGateway, spec 5.3), chosen by Content-Type. */
export const PUT = route<Params>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const type = mediaType(req);
  if (type === PASSWORD_SET_TYPE) return json(body(req, await setPassword(actor, envId, userID, await readJson(req))));
  if (type === PASSWORD_SET_GATEWAY_TYPE) return json(body(req, await setPasswordGateway(actor, envId, userID, await readJson(req))));
  throw new ApiError(415, "INVALID_REQUEST", `Unsupported Content-Type: use ${PASSWORD_SET_TYPE} to set a password or application/vnd.pingidentity.password.setGateway+json to link the user to a gateway.`);
});

/** Check Password and Force Password Change, chosen by Content-Type (spec 3.4). */
export const POST = route<Params>(async (req, { envID, userID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const type = mediaType(req);
  if (type === PASSWORD_CHECK_TYPE) {
    return json(body(req, await checkPassword(actor, envId, userID, await readJson(req))));
  }
  if (type && PASSWORD_FORCE_CHANGE_TYPES.includes(type)) {
    await readBody(req); // the body is empty; anything sent is ignored
    return json(body(req, await forcePasswordChange(actor, envId, userID)));
  }
  throw new ApiError(
    415,
    "INVALID_REQUEST",
    `Unsupported Content-Type: use ${PASSWORD_CHECK_TYPE} to check a password or application/vnd.pingidentity.password.forceChange to force a change.`,
  );
});

export const { HEAD, OPTIONS, DELETE, PATCH } = otherMethods({ GET, POST, PUT });

import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, otherMethods, readJson, route } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { deleteGateway, getGateway, updateGateway } from "@/lib/gateways/manage";
import { gatewayResource } from "@/lib/gateways/resource";

type Params = { envID: string; gatewayID: string };

export const GET = route<Params>(async (req, { envID, gatewayID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  return json(gatewayResource(apiBase(req), await getGateway(actor, envId, gatewayID)));
});

/** Replace the gateway's fields (spec 5.1): a PUT without bindPassword keeps the stored one. */
export const PUT = route<Params>(async (req, { envID, gatewayID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send the gateway as application/json.");
  return json(gatewayResource(apiBase(req), await updateGateway(actor, envId, gatewayID, await readJson(req))));
});

export const DELETE = route<Params>(async (req, { envID, gatewayID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  await deleteGateway(actor, envId, gatewayID);
  return new Response(null, { status: 204 });
});

export const { HEAD, OPTIONS, POST, PATCH } = otherMethods({ GET, PUT, DELETE });

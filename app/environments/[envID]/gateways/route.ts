import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, otherMethods, readJson, route } from "@/lib/api/http";
import { listBody } from "@/lib/api/lists";
import { requireEnvironment } from "@/lib/environments";
import { createGateway, listGateways } from "@/lib/gateways/manage";
import { gatewayResource } from "@/lib/gateways/resource";

export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const base = apiBase(req);
  const items = await listGateways(actor, envId);
  return json(listBody("gateways", items.map((g) => gatewayResource(base, g)), `${base}/environments/${envId}/gateways`));
});

/** Create a gateway (spec 5.1): Environment Admin over the whole environment. */
export const POST = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send the gateway as application/json.");
  const resource = gatewayResource(apiBase(req), await createGateway(actor, envId, await readJson(req)));
  return json(resource, 201, { location: resource._links.self.href });
});

export const { HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ GET, POST });

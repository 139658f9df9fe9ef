import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { listBody } from "@/lib/api/lists";
import { listGateways, requireEnvironment } from "@/lib/environments";
import { gatewayResource } from "@/lib/environments/resources";

export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const base = apiBase(req);
  const items = await listGateways(actor, envId);
  return json(listBody("gateways", items.map((x) => gatewayResource(base, envId, x)), `${base}/environments/${envId}/gateways`));
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

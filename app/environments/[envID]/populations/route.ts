import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { listBody } from "@/lib/api/lists";
import { listPopulations, requireEnvironment } from "@/lib/environments";
import { populationResource } from "@/lib/environments/resources";

export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const base = apiBase(req);
  const items = await listPopulations(actor, envId);
  return json(listBody("populations", items.map((x) => populationResource(base, envId, x)), `${base}/environments/${envId}/populations`));
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

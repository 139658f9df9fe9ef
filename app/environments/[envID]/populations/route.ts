import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, readJson, route, otherMethods } from "@/lib/api/http";
import { listBody } from "@/lib/api/lists";
import { parseOrInvalid } from "@/lib/api/validation";
import { listPopulations, requireEnvironment } from "@/lib/environments";
import { createPopulation } from "@/lib/environments/manage";
import { populationResource } from "@/lib/environments/resources";
import { populationBodySchema } from "@/lib/environments/schema";

export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const base = apiBase(req);
  const items = await listPopulations(actor, envId);
  return json(listBody("populations", items.map((x) => populationResource(base, envId, x)), `${base}/environments/${envId}/populations`));
});

/** Create Population (issue 14.1): Environment Admin over the environment. */
export const POST = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send the population as application/json.");
  const body = parseOrInvalid(populationBodySchema, await readJson(req));
  const p = populationResource(apiBase(req), envId, await createPopulation(actor, envId, { name: body.name, description: body.description, isDefault: body.default ?? false }));
  return json(p, 201, { location: p._links.self.href });
});

export const { HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ GET, POST });

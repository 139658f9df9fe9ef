import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, readJson, route, otherMethods } from "@/lib/api/http";
import { parseOrInvalid } from "@/lib/api/validation";
import { getPopulation, requireEnvironment } from "@/lib/environments";
import { deletePopulation, updatePopulation } from "@/lib/environments/manage";
import { populationResource } from "@/lib/environments/resources";
import { populationBodySchema } from "@/lib/environments/schema";

type Params = { envID: string; populationID: string };

export const GET = route<Params>(async (req, { envID, populationID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  return json(populationResource(apiBase(req), envId, await getPopulation(actor, envId, populationID)));
});

/** Update Population: the fields are replaced (a description left out is cleared); `default: true` moves the default here. */
export const PUT = route<Params>(async (req, { envID, populationID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  if (mediaType(req) !== "application/json") throw new ApiError(415, "INVALID_REQUEST", "Send the population as application/json.");
  const body = parseOrInvalid(populationBodySchema, await readJson(req));
  const p = await updatePopulation(actor, envId, populationID, { name: body.name, description: body.description, isDefault: body.default ?? false });
  return json(populationResource(apiBase(req), envId, p));
});

/** Delete Population: 400 while it holds users (the count is in the message) or is the default. */
export const DELETE = route<Params>(async (req, { envID, populationID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  await deletePopulation(actor, envId, populationID);
  return new Response(null, { status: 204 });
});

export const { HEAD, OPTIONS, POST, PATCH } = otherMethods({ GET, PUT, DELETE });

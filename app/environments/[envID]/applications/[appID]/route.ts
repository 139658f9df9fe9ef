import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { deleteApplication, getApplication } from "@/lib/applications";
import { requireEnvironment } from "@/lib/environments";
import { applicationResource } from "@/lib/roles/resources";

type Params = { envID: string; appID: string };

export const GET = route<Params>(async (req, { envID, appID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  return json(applicationResource(apiBase(req), await getApplication(actor, envId, appID)));
});

export const DELETE = route<Params>(async (req, { envID, appID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  await deleteApplication(actor, envId, appID);
  return new Response(null, { status: 204 });
});

export const { HEAD, OPTIONS, POST, PUT, PATCH } = otherMethods({ GET, DELETE });

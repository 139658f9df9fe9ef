import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { listBody } from "@/lib/api/lists";
import { createApplication, listApplications } from "@/lib/applications";
import { requireEnvironment } from "@/lib/environments";
import { applicationCreateSchema } from "@/lib/roles";
import { readJsonBody } from "@/lib/api/json-body";
import { applicationResource } from "@/lib/roles/resources";

/** Create a worker application: the client secret is in this response only. */
export const POST = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const body = await readJsonBody(req, applicationCreateSchema);
  const { application, clientSecret } = await createApplication(actor, envId, { name: body.name });
  const resource = applicationResource(apiBase(req), application, clientSecret);
  return json(resource, 201, { location: resource._links.self.href });
});

export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const base = apiBase(req);
  const apps = await listApplications(actor, envId);
  return json(listBody("applications", apps.map((a) => applicationResource(base, a)), `${base}/environments/${envId}/applications`));
});

export const { HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ GET, POST });

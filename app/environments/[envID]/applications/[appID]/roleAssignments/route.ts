import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { listBody } from "@/lib/api/lists";
import { getApplication } from "@/lib/applications";
import { createRoleAssignment, listRoleAssignments } from "@/lib/roles/assignments";
import { requireEnvironment } from "@/lib/environments";
import { resolveRole, roleAssignmentCreateSchema } from "@/lib/roles";
import { readJsonBody } from "@/lib/api/json-body";
import { roleAssignmentResource } from "@/lib/roles/resources";

type Params = { envID: string; appID: string };

/** Give the application a role over a scope; the caller must hold that role over it (or wider) itself. */
export const POST = route<Params>(async (req, { envID, appID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const app = await getApplication(actor, envId, appID);
  const body = await readJsonBody(req, roleAssignmentCreateSchema);
  const role = resolveRole(body.role);
  const view = await createRoleAssignment(actor, envId, { subject: { applicationId: app.id }, role, scope: body.scope });
  const resource = roleAssignmentResource(apiBase(req), envId, app.id, view);
  return json(resource, 201, { location: resource._links.self.href });
});

export const GET = route<Params>(async (req, { envID, appID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const app = await getApplication(actor, envId, appID);
  const base = apiBase(req);
  const views = await listRoleAssignments(actor, envId, { subject: { applicationId: app.id } });
  return json(
    listBody("roleAssignments", views.map((v) => roleAssignmentResource(base, envId, app.id, v)), `${base}/environments/${envId}/applications/${app.id}/roleAssignments`),
  );
});

export const { HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ GET, POST });

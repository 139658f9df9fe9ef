import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { getApplication } from "@/lib/applications";
import { requireEnvironment } from "@/lib/environments";
import { deleteRoleAssignment, getRoleAssignment } from "@/lib/roles/assignments";
import { roleAssignmentResource } from "@/lib/roles/resources";

type Params = { envID: string; appID: string; roleAssignmentID: string };

/** The assignment, if it belongs to this application (404 otherwise). */
async function assignmentOf(req: Request, { envID, appID, roleAssignmentID }: Params) {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const app = await getApplication(actor, envId, appID);
  const view = await getRoleAssignment(actor, envId, { applicationId: app.id }, roleAssignmentID);
  return { actor, envId, app, view };
}

export const GET = route<Params>(async (req, params) => {
  const { envId, app, view } = await assignmentOf(req, params);
  return json(roleAssignmentResource(apiBase(req), envId, app.id, view));
});

export const DELETE = route<Params>(async (req, params) => {
  const { actor, envId, view } = await assignmentOf(req, params);
  await deleteRoleAssignment(actor, envId, view.id);
  return new Response(null, { status: 204 });
});

export const { HEAD, OPTIONS, POST, PUT, PATCH } = otherMethods({ GET, DELETE });

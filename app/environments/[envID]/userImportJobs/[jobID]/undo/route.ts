import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { toJobResource } from "@/lib/bulk/jobs";
import { startUndo } from "@/lib/bulk/undo";

/**
 * Undoes a job: 202 with a new job (kind undo) that deletes the users the job created and restores
 * those it updated, refusing (and reporting under its errors link) users changed since.
 */
export const POST = route<{ envID: string; jobID: string }>(async (req, { envID, jobID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const job = await startUndo(actor, envId, jobID);
  const resource = toJobResource(job, apiBase(req));
  return json(resource, 202, { location: resource._links.self.href });
});

export const { GET, HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ POST });

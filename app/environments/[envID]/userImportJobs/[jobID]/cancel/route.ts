import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { cancelImportJob, toJobResource } from "@/lib/bulk/jobs";

/** Cancels a job that has not ended: no further batch starts; batches already written stay. */
export const POST = route<{ envID: string; jobID: string }>(async (req, { envID, jobID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const job = await cancelImportJob(actor, envId, jobID);
  return json(toJobResource(job, apiBase(req)));
});

export const { GET, HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ POST });

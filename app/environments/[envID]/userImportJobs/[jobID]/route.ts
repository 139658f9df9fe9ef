import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { getImportJob, toJobResource } from "@/lib/bulk/jobs";

/** A bulk import job: status, counts and progress (rows done, rows/s, estimated time left). */
export const GET = route<{ envID: string; jobID: string }>(async (req, { envID, jobID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const job = await getImportJob(actor, envId, jobID);
  return json(toJobResource(job, apiBase(req)));
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

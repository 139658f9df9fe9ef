import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, mediaType, route, otherMethods } from "@/lib/api/http";
import { listBody, parseLimit } from "@/lib/api/lists";
import { requireEnvironment } from "@/lib/environments";
import { createImportJob, listImportJobs, parseJobOptions, toJobResource } from "@/lib/bulk/jobs";
import { createDirectoryJob } from "@/lib/bulk/directory-source";
import { jsonJobOrFile, uploadSource } from "@/lib/bulk/upload";

/**
 * Starts a bulk import: the file streams into the database, then 202 with the job. A JSON
 * object `{source: {type: "LDAP", ...}}` instead of a file starts a directory job (spec 9.1).
 */
export const POST = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const type = mediaType(req);
  if (type === "application/json") {
    const body = await jsonJobOrFile(req);
    if ("job" in body) {
      const job = await createDirectoryJob(actor, envId, body.job);
      const resource = toJobResource(job, apiBase(req));
      return json(resource, 202, { location: resource._links.self.href });
    }
    req = body.file;
  }
  const source = await uploadSource(req, type);
  try {
    const options = parseJobOptions(source.fields, source.format);
    const job = await createImportJob(actor, envId, source.file, options);
    const resource = toJobResource(job, apiBase(req));
    return json(resource, 202, { location: resource._links.self.href });
  } finally {
    // Whatever was not read (a refused upload) is discarded rather than left half-read.
    source.file.resume();
  }
});

export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const limit = parseLimit(new URL(req.url).searchParams.get("limit"), 100, 1000);
  const jobs = await listImportJobs(actor, envId, limit);
  const base = apiBase(req);
  return json(listBody("userImportJobs", jobs.map((j) => toJobResource(j, base)), `${base}/environments/${envId}/userImportJobs`));
});

export const { HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ GET, POST });

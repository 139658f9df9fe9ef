import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { getImportJob, importErrors } from "@/lib/bulk/jobs";
import { errorReportStream } from "@/lib/bulk/report";

/** The job's error report: JSON, or CSV with `Accept: text/csv` or `?format=csv`. */
export const GET = route<{ envID: string; jobID: string }>(async (req, { envID, jobID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const job = await getImportJob(actor, envId, jobID);
  const url = new URL(req.url);
  const asked = url.searchParams.get("format");
  const csv = asked === "csv" || (asked !== "json" && /\btext\/csv\b/i.test(req.headers.get("accept") ?? ""));
  const self = `${apiBase(req)}/environments/${envId}/userImportJobs/${job.id}/errors`;
  const body = errorReportStream(importErrors(actor, envId, job.id), csv ? "csv" : "json", self);
  return new Response(body, {
    status: 200,
    headers: csv
      ? {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": `attachment; filename="import-${job.id}-errors.csv"`,
          "cache-control": "no-store",
        }
      : { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

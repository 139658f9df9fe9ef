import Link from "next/link";
import { reach } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import { getImportJob, importErrors, toJobResource, type ImportErrorLine } from "@/lib/bulk/jobs";
import { undoPreview } from "@/lib/bulk/undo";
import { orNotFound } from "@/lib/console/errors";
import { getEnvironment } from "@/lib/environments";
import { PageHeader } from "@/components/console/page-header";
import { Alert } from "@/components/ui/alert";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { undoJobAction } from "./actions";
import { UndoButton } from "./undo-button";

const REPORT_ROWS = 200;

/**
 * One bulk job: status, counts, the first rows of its report and, for an import that wrote users,
 * Undo (with what it would do, and a confirmation). An undo job shows what it deleted, restored
 * and left alone (users changed since, or out of the administrator's reach).
 */
export default async function JobPage({ params }: { params: Promise<{ envID: string; jobID: string }> }) {
  const actor = await requireConsoleActor();
  const { envID, jobID } = await params;
  const env = await getEnvironment(actor, envID);
  const job = await orNotFound(getImportJob(actor, env.id, jobID));
  const view = toJobResource(job, "");
  const preview = reach(actor, "users:write", env.id) ? await undoPreview(actor, env.id, job.id) : null;
  const report: ImportErrorLine[] = [];
  for await (const line of importErrors(actor, env.id, job.id, REPORT_ROWS)) {
    report.push(line);
    if (report.length >= REPORT_ROWS) break;
  }
  const undo = job.kind === "undo";
  const self = `/console/environments/${env.id}/imports/${job.id}`;
  const counts: [string, number][] = undo
    ? [["Users", view.counts.total], ["Deleted", view.counts.deleted], ["Restored", view.counts.restored], ["Left as they are", view.counts.failed]]
    : [["Rows", view.counts.total], ["Created", view.counts.created], ["Updated", view.counts.updated], ["Skipped", view.counts.skipped], ["Failed", view.counts.failed]];
  return (
    <>
      <PageHeader
        title={undo ? "Undo job" : job.dryRun ? "Dry run" : "Import job"}
        description={`${job.fileName ?? "no file name"} · ${job.status.toLowerCase()} · started ${job.createdAt.toISOString().slice(0, 19).replace("T", " ")} UTC`}
        crumbs={[
          { href: "/console/environments", label: "Environments" },
          { href: `/console/environments/${env.id}/imports/new`, label: `${env.name} · Bulk import` },
        ]}
      />
      <Card>
        <CardHeader>
          <CardTitle>
            {job.status.toLowerCase()} · {view.progress.percent}%
          </CardTitle>
        </CardHeader>
        <CardContent className="space-y-4">
          {undo && job.undoesJobId && (
            <p className="text-sm">
              Undoes <Link className="text-indigo-600 underline" href={`/console/environments/${env.id}/imports/${job.undoesJobId}`}>job {job.undoesJobId}</Link>.
            </p>
          )}
          {preview?.undoneBy && (
            <p className="text-sm">
              Undone by <Link className="text-indigo-600 underline" href={`/console/environments/${env.id}/imports/${preview.undoneBy}`}>job {preview.undoneBy}</Link>.
            </p>
          )}
          <dl className="grid grid-cols-2 gap-2 text-sm sm:grid-cols-5">
            {counts.map(([k, v]) => (
              <div key={k} className="rounded-md bg-slate-50 p-2">
                <dt className="text-xs text-slate-500">{k}</dt>
                <dd className="text-lg font-semibold text-slate-900">{v.toLocaleString()}</dd>
              </div>
            ))}
          </dl>
          {["QUEUED", "RUNNING", "UPLOADING"].includes(job.status) && (
            <Link className="text-sm text-indigo-600 underline" href={self}>
              Refresh
            </Link>
          )}
          {preview && !preview.refusal && preview.created + preview.updated > 0 && (
            <UndoButton action={undoJobAction.bind(null, env.id, job.id)} created={preview.created} updated={preview.updated} />
          )}
          {preview?.refusal && !undo && !job.dryRun && <Alert tone="info">{preview.refusal}</Alert>}
        </CardContent>
      </Card>
      {report.length > 0 && (
        <Card className="mt-4">
          <CardHeader>
            <CardTitle>{undo ? "Users left as they are" : "Rows with errors"}</CardTitle>
          </CardHeader>
          <CardContent>
            <Table aria-label={undo ? "Users left as they are" : "Rows with errors"}>
              <THead>
                <tr>
                  <TH>Row</TH>
                  <TH>Username</TH>
                  <TH>Code</TH>
                  <TH>Message</TH>
                </tr>
              </THead>
              <TBody>
                {report.map((e) => (
                  <TR key={e.row}>
                    <TD>{e.row}</TD>
                    <TD>{e.username}</TD>
                    <TD className="font-mono text-xs">{e.code}</TD>
                    <TD>{e.message}</TD>
                  </TR>
                ))}
              </TBody>
            </Table>
          </CardContent>
        </Card>
      )}
    </>
  );
}

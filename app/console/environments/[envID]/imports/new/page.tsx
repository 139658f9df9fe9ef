import { reach, reaches } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import Link from "next/link";
import { listImportJobs, maxRows } from "@/lib/bulk/jobs";
import { listDirectorySources } from "@/lib/bulk/directory-source";
import { getEnvironment, listPopulations } from "@/lib/environments";
import { PageHeader } from "@/components/console/page-header";
import { Alert } from "@/components/ui/alert";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { ImportWizard } from "./import-wizard";

/**
 * The bulk import wizard. The file's bytes stream through the jobs API
 * (POST /environments/{envID}/userImportJobs, with the console session), which checks the
 * administrator's role per row exactly as for an API caller; progress, the error table, cancel
 * and "Import now" after a dry run (no second upload) are server actions (./actions.ts).
 */
export default async function BulkImportPage({ params }: { params: Promise<{ envID: string }> }) {
  const actor = await requireConsoleActor();
  const env = await getEnvironment(actor, (await params).envID);
  const writeReach = reach(actor, "users:write", env.id);
  const crumbs = [
    { href: "/console/environments", label: "Environments" },
    { href: `/console/environments/${env.id}/users`, label: `${env.name} · Users` },
  ];
  if (!writeReach) {
    return (
      <>
        <PageHeader title="Bulk import" crumbs={crumbs} />
        <Alert tone="warning" title="Read-only access">Your roles in this environment do not allow importing users.</Alert>
      </>
    );
  }
  const pops = (await listPopulations(actor, env.id)).filter((p) => reaches(writeReach, p.id));
  const jobs = await listImportJobs(actor, env.id, 20);
  const directories = await listDirectorySources(actor, env.id);
  return (
    <>
      <PageHeader title="Bulk import" description={`Import a CSV, JSON Lines, JSON or LDIF file of users, or the users of a directory, into ${env.name}: validate first, then import.`} crumbs={crumbs} />
      <ImportWizard environmentId={env.id} populations={pops.map((p) => ({ id: p.id, name: p.name, isDefault: p.isDefault }))} maxRows={maxRows()} directories={directories} />
      {jobs.length > 0 && (
        <Card className="mt-6">
          <CardHeader>
            <CardTitle>Recent jobs</CardTitle>
          </CardHeader>
          <CardContent>
            <Table aria-label="Recent jobs">
              <THead>
                <tr>
                  <TH>Started (UTC)</TH>
                  <TH>Job</TH>
                  <TH>Status</TH>
                  <TH>Rows</TH>
                </tr>
              </THead>
              <TBody>
                {jobs.map((j) => (
                  <TR key={j.id}>
                    <TD>{j.createdAt.toISOString().slice(0, 19).replace("T", " ")}</TD>
                    <TD>
                      <Link className="text-indigo-600 underline" href={`/console/environments/${env.id}/imports/${j.id}`}>
                        {j.kind === "undo" ? "Undo" : j.dryRun ? "Dry run" : "Import"} {j.fileName ?? j.id}
                      </Link>
                    </TD>
                    <TD>{j.status.toLowerCase()}</TD>
                    <TD>{j.totalRows.toLocaleString()}</TD>
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

import Link from "next/link";
import { Download, Users } from "lucide-react";
import { reach } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment } from "@/lib/environments";
import { migrationOverview, DEFAULT_DAYS, type MigrationOverview } from "@/lib/migration";
import { WEAKER_ARGON2ID_SCHEME } from "@/lib/users/stored-password";
import { PageHeader } from "@/components/console/page-header";
import { BarChart, ColumnChart, numberFormat as fmt, type Bar } from "@/components/console/charts";
import { buttonClass } from "@/components/ui/button";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";

const DAY_CHOICES = [7, 30, 90, 365] as const;

function schemeLabel(scheme: string): string {
  return scheme === WEAKER_ARGON2ID_SCHEME ? "argon2id (weaker parameters)" : scheme;
}

function stateBars(u: MigrationOverview["users"]): Bar[] {
  return [
    { label: "argon2id (current)", value: u.current, tone: "emerald" },
    ...u.legacy.map((l): Bar => ({ label: `${schemeLabel(l.scheme)} (waiting for first check)`, value: l.count, tone: "amber" })),
    ...u.external.map((g): Bar => ({ label: `Gateway ${g.gateway.name ?? g.gateway.id} · ${g.userType.name ?? g.userType.id}`, value: g.count, tone: "sky" })),
    { label: "No password", value: u.noPassword, tone: "slate" },
    { label: "Must change password", value: u.mustChange, tone: "rose" },
  ];
}

/**
 * The migration cockpit (issue 16): how far this environment's migration has come, from the same
 * domain query as GET /environments/{envID}/migration. Charts are server-rendered SVG; every
 * number is also in a table.
 */
export default async function MigrationPage({ params, searchParams }: { params: Promise<{ envID: string }>; searchParams: Promise<{ days?: string }> }) {
  const actor = await requireConsoleActor();
  const env = await getEnvironment(actor, (await params).envID);
  const crumbs = [{ href: "/console/environments", label: "Environments" }];
  if (!reach(actor, "users:read", env.id)) {
    return (
      <>
        <PageHeader title="Migration" crumbs={crumbs} />
        <Alert tone="warning" title="No access to users">Your roles in this environment do not include reading users.</Alert>
      </>
    );
  }
  const asked = Number((await searchParams).days);
  const days = (DAY_CHOICES as readonly number[]).includes(asked) ? asked : DEFAULT_DAYS;
  const o = await migrationOverview(actor, env.id, { days });
  const base = `/console/environments/${env.id}`;
  const u = o.users;
  const bars = stateBars(u);
  const checkedShare = u.total ? Math.round(((u.total - o.remaining.neverChecked) / u.total) * 100) : 0;

  return (
    <>
      <PageHeader title="Migration" description={`How far the ${env.name} environment's migration has come.`} crumbs={crumbs} />

      <section aria-labelledby="left-title" className="mb-6">
        <Card>
          <CardHeader>
            <CardTitle id="left-title">What is left</CardTitle>
            <CardDescription>Users who have never had a successful password check since they were imported.</CardDescription>
          </CardHeader>
          <CardContent className="flex flex-col gap-4 sm:flex-row sm:items-center sm:justify-between">
            <p className="text-sm text-slate-600">
              <span data-testid="never-checked" className="text-3xl font-semibold text-slate-900">
                {fmt.format(o.remaining.neverChecked)}
              </span>{" "}
              of {fmt.format(u.total)} users never checked ({checkedShare}% have signed on).
            </p>
            <div className="flex flex-wrap gap-2">
              <Link href={`${base}/users?checked=never`} className={buttonClass("secondary")}>
                <Users className="h-4 w-4" aria-hidden /> Show these users
              </Link>
              <a href={`/environments/${env.id}/migration/remainingUsers`} className={buttonClass("secondary")} download>
                <Download className="h-4 w-4" aria-hidden /> Export them (CSV)
              </a>
            </div>
          </CardContent>
        </Card>
      </section>

      <section aria-labelledby="states-title" className="mb-6">
        <Card>
          <CardHeader>
            <CardTitle id="states-title">Users by password state</CardTitle>
            <CardDescription>
              A legacy hash is replaced by argon2id at its first successful check; a gateway user&apos;s password stays in the directory until then.
            </CardDescription>
          </CardHeader>
          <CardContent className="space-y-4">
            <BarChart testId="password-states" bars={bars} label={`Users by password state: ${bars.map((b) => `${b.label} ${fmt.format(b.value)}`).join(", ")}.`} />
            <Table aria-label="Users by password state">
              <THead>
                <tr>
                  <TH>Password state</TH>
                  <TH className="text-right">Users</TH>
                  <TH className="text-right">Never checked</TH>
                </tr>
              </THead>
              <TBody>
                <TR>
                  <TD>argon2id (current)</TD>
                  <TD className="text-right tabular-nums">{fmt.format(u.current)}</TD>
                  <TD />
                </TR>
                {u.legacy.map((l) => (
                  <TR key={l.scheme}>
                    <TD>
                      {schemeLabel(l.scheme)} <Badge tone="amber">waiting for first check</Badge>
                    </TD>
                    <TD className="text-right tabular-nums">{fmt.format(l.count)}</TD>
                    <TD />
                  </TR>
                ))}
                {u.external.map((g) => (
                  <TR key={`${g.gateway.id}/${g.userType.id}`}>
                    <TD>
                      Gateway-linked (EXTERNAL): {g.gateway.name ?? g.gateway.id} · {g.userType.name ?? g.userType.id}
                    </TD>
                    <TD className="text-right tabular-nums">{fmt.format(g.count)}</TD>
                    <TD className="text-right tabular-nums">{fmt.format(g.neverChecked)}</TD>
                  </TR>
                ))}
                <TR>
                  <TD>No password</TD>
                  <TD className="text-right tabular-nums">{fmt.format(u.noPassword)}</TD>
                  <TD />
                </TR>
                <TR>
                  <TD>Must change password (also counted above)</TD>
                  <TD className="text-right tabular-nums">{fmt.format(u.mustChange)}</TD>
                  <TD />
                </TR>
                <TR>
                  <TD className="font-medium">All users</TD>
                  <TD className="text-right font-medium tabular-nums">{fmt.format(u.total)}</TD>
                  <TD className="text-right font-medium tabular-nums">{fmt.format(o.remaining.neverChecked)}</TD>
                </TR>
              </TBody>
            </Table>
          </CardContent>
        </Card>
      </section>

      <section aria-labelledby="days-title" className="mb-6">
        <Card>
          <CardHeader>
            <CardTitle id="days-title">Migrations over time</CardTitle>
            <CardDescription>
              Per day (UTC) since {o.since}: legacy hashes upgraded to argon2id and gateway passwords migrated, from the audit events.{" "}
              {fmt.format(o.migrations.upgraded)} upgraded, {fmt.format(o.migrations.migrated)} migrated.
            </CardDescription>
            <nav aria-label="Period" className="flex gap-2 text-sm">
              {DAY_CHOICES.map((d) => (
                <Link key={d} href={`${base}/migration?days=${d}`} aria-current={d === days ? "page" : undefined} className={d === days ? "font-semibold text-slate-900" : "text-indigo-700 hover:underline"}>
                  {d} days
                </Link>
              ))}
            </nav>
          </CardHeader>
          <CardContent className="space-y-4">
            <ColumnChart
              testId="migrations-per-day"
              label={`Migrations per day since ${o.since}: ${fmt.format(o.migrations.upgraded)} legacy hashes upgraded, ${fmt.format(o.migrations.migrated)} gateway passwords migrated.`}
              series={[
                { name: "Legacy hashes upgraded", tone: "amber" },
                { name: "Gateway passwords migrated", tone: "sky" },
              ]}
              columns={o.migrations.days.map((d) => ({ label: d.day.slice(5), values: [d.upgraded, d.migrated] }))}
            />
            <details>
              <summary className="cursor-pointer text-sm text-indigo-700">Numbers per day</summary>
              <Table aria-label="Migrations per day">
                <THead>
                  <tr>
                    <TH>Day (UTC)</TH>
                    <TH className="text-right">Legacy hashes upgraded</TH>
                    <TH className="text-right">Gateway passwords migrated</TH>
                  </tr>
                </THead>
                <TBody>
                  {o.migrations.days
                    .filter((d) => d.upgraded || d.migrated)
                    .map((d) => (
                      <TR key={d.day}>
                        <TD>{d.day}</TD>
                        <TD className="text-right tabular-nums">{fmt.format(d.upgraded)}</TD>
                        <TD className="text-right tabular-nums">{fmt.format(d.migrated)}</TD>
                      </TR>
                    ))}
                </TBody>
              </Table>
            </details>
          </CardContent>
        </Card>
      </section>

      <section aria-labelledby="jobs-title" className="mb-6">
        <Card>
          <CardHeader>
            <CardTitle id="jobs-title">Import jobs over time</CardTitle>
            <CardDescription>The latest {o.importJobs.length} bulk imports, oldest first, with what each created and how many rows failed.</CardDescription>
          </CardHeader>
          <CardContent className="space-y-4">
            {o.importJobs.length === 0 ? (
              <p className="text-sm text-slate-500">No import jobs yet.</p>
            ) : (
              <>
                <ColumnChart
                  testId="import-jobs"
                  label={`Import jobs: ${o.importJobs.length} jobs, ${fmt.format(o.importJobs.reduce((a, j) => a + j.created, 0))} users created, ${fmt.format(o.importJobs.reduce((a, j) => a + j.failed, 0))} rows failed.`}
                  series={[
                    { name: "Created", tone: "indigo" },
                    { name: "Updated or skipped", tone: "slate" },
                    { name: "Failed", tone: "rose" },
                  ]}
                  columns={o.importJobs.map((j) => ({ label: j.createdAt.slice(5, 10), values: [j.created, j.updated + j.skipped, j.failed] }))}
                />
                <Table aria-label="Import jobs">
                  <THead>
                    <tr>
                      <TH>Started</TH>
                      <TH>Job</TH>
                      <TH>Status</TH>
                      <TH className="text-right">Rows</TH>
                      <TH className="text-right">Created</TH>
                      <TH className="text-right">Updated</TH>
                      <TH className="text-right">Skipped</TH>
                      <TH className="text-right">Failed</TH>
                    </tr>
                  </THead>
                  <TBody>
                    {o.importJobs.map((j) => (
                      <TR key={j.id}>
                        <TD className="whitespace-nowrap text-slate-500">
                          <time dateTime={j.createdAt}>{j.createdAt.slice(0, 16).replace("T", " ")}</time>
                        </TD>
                        <TD>
                          <Link href={`${base}/imports/new?job=${j.id}`} className="text-indigo-700 hover:underline">
                            {j.fileName ?? j.id}
                          </Link>
                          {j.dryRun && (
                            <Badge tone="slate" className="ml-1">
                              dry run
                            </Badge>
                          )}
                        </TD>
                        <TD>{j.status}</TD>
                        <TD className="text-right tabular-nums">{fmt.format(j.totalRows)}</TD>
                        <TD className="text-right tabular-nums">{fmt.format(j.created)}</TD>
                        <TD className="text-right tabular-nums">{fmt.format(j.updated)}</TD>
                        <TD className="text-right tabular-nums">{fmt.format(j.skipped)}</TD>
                        <TD className="text-right tabular-nums">{fmt.format(j.failed)}</TD>
                      </TR>
                    ))}
                  </TBody>
                </Table>
              </>
            )}
          </CardContent>
        </Card>
      </section>
    </>
  );
}

"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { JobRateChart } from "@/components/job-rate-chart";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { BULK_COLUMN_PATHS, CSV_HEADER_BYTES, CSV_TEMPLATE } from "@/lib/bulk/columns";
import type { ImportErrorLine } from "@/lib/bulk/jobs";
import { formatOfFileName, jobHasEnded, ON_CONFLICT, ON_CONFLICT_LABELS } from "@/lib/bulk/options";
import type { UserImportOnConflict } from "@/db/enums";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Label } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import type { DirectoryPreviewEntry, DirectorySourceChoice } from "@/lib/bulk/directory-source";
import { Input } from "@/components/ui/input";
import { cancelJob, csvColumns, importAfterDryRun, jobErrors, jobStatus, previewDirectory, startDirectoryJob, type JobView } from "./actions";

type Population = { id: string; name: string; isDefault: boolean };
type Job = JobView;

const IGNORE = "";
const ended = (j: Job | null) => !!j && jobHasEnded(j.status);

/**
 * The bulk import wizard. The file is sent as it is; its CSV header is read on the server (the
 * jobs' own parser, csvColumns), and the column mapping chosen here travels with the upload as
 * the `columns` field, applied on the server as the file is read.
 */
export function ImportWizard({
  environmentId,
  populations,
  maxRows,
  directories,
}: {
  environmentId: string;
  populations: Population[];
  maxRows: number;
  directories: DirectorySourceChoice[];
}) {
  const router = useRouter();
  const pathname = usePathname();
  const search = useSearchParams();
  const base = `/environments/${environmentId}/userImportJobs`;

  const [file, setFile] = useState<File | null>(null);
  const [header, setHeader] = useState<string[]>([]);
  const [mapping, setMapping] = useState<string[]>([]);
  const [defaultPopulation, setDefaultPopulation] = useState(populations.find((p) => p.isDefault)?.id ?? populations[0]?.id ?? "");
  const [onConflict, setOnConflict] = useState<UserImportOnConflict>("fail");
  const [uploadPercent, setUploadPercent] = useState<number | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const [errors, setErrors] = useState<ImportErrorLine[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const [acting, setActing] = useState(false);
  const [mode, setMode] = useState<"file" | "directory">("file");
  const userTypes = directories.flatMap((g) => g.userTypes.filter((t) => t.mapsUsername).map((t) => ({ value: `${g.gatewayId}/${t.id}`, label: `${g.gatewayName} · ${t.name}`, base: t.searchBaseDn })));
  const [directoryChoice, setDirectoryChoice] = useState(userTypes[0]?.value ?? "");
  const [filter, setFilter] = useState("");
  const [preview, setPreview] = useState<DirectoryPreviewEntry[] | null>(null);
  const [ldifUserType, setLdifUserType] = useState("");
  const jobId = search.get("job");
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const choose = useCallback(async (f: File | undefined) => {
    setProblem(null);
    setJob(null);
    setErrors([]);
    if (!f) return;
    if (!formatOfFileName(f.name)) {
      setProblem("Choose a .csv, .ndjson, .jsonl, .json or .ldif file.");
      return;
    }
    setFile(f);
    setHeader([]);
    setMapping([]);
    if (formatOfFileName(f.name) === "csv") {
      const answer = await csvColumns(environmentId, await f.slice(0, CSV_HEADER_BYTES).text());
      if ("message" in answer) {
        setProblem(answer.message);
        return;
      }
      setHeader(answer.columns.map((c) => c.name));
      setMapping(answer.columns.map((c) => c.suggestion ?? IGNORE));
    }
  }, [environmentId]);

  // Polls the job in the URL (?job=...) through a server action, so that progress survives a page reload.
  useEffect(() => {
    if (!jobId) return;
    let stop = false;
    const poll = async () => {
      const answer = await jobStatus(environmentId, jobId);
      if (stop) return;
      if ("message" in answer) {
        setProblem(answer.message);
        return;
      }
      const j = answer.job;
      setJob(j);
      if (ended(j)) {
        const e = await jobErrors(environmentId, jobId);
        if (stop) return;
        if ("message" in e) setProblem(e.message);
        else setErrors(e.errors);
        return;
      }
      timer.current = setTimeout(poll, 700);
    };
    void poll();
    return () => {
      stop = true;
      if (timer.current) clearTimeout(timer.current);
    };
  }, [jobId, environmentId]);

  const start = async (dryRun: boolean) => {
    if (!file) return;
    setProblem(null);
    setErrors([]);
    setJob(null);
    const format = formatOfFileName(file.name)!;
    if (format === "csv" && !mapping.includes("username")) {
      setProblem("Map one column to username.");
      return;
    }
    const form = new FormData();
    form.set("dryRun", String(dryRun));
    form.set("onConflict", onConflict);
    form.set("format", format);
    if (defaultPopulation) form.set("defaultPopulationId", defaultPopulation);
    if (format === "csv") form.set("columns", JSON.stringify(mapping.map((m) => m || null)));
    if (format === "ldif" && ldifUserType) form.set("userTypeId", ldifUserType.split("/")[1]!);
    form.set("file", file, file.name);
    // XMLHttpRequest, not fetch: it reports upload progress.
    const xhr = new XMLHttpRequest();
    xhr.open("POST", base);
    xhr.upload.onprogress = (e) => e.lengthComputable && setUploadPercent(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      setUploadPercent(null);
      const answer = JSON.parse(xhr.responseText || "{}") as Job & { message?: string; details?: { message: string }[] };
      if (xhr.status !== 202) {
        setProblem(answer.details?.map((d) => d.message).join(" ") || answer.message || `The upload failed (${xhr.status}).`);
        return;
      }
      router.replace(`${pathname}?job=${answer.id}`);
    };
    xhr.onerror = () => {
      setUploadPercent(null);
      setProblem("The upload failed: check the connection and try again.");
    };
    setUploadPercent(0);
    xhr.send(form);
  };

  const chosenDirectory = () => {
    const [gatewayId, userTypeId] = directoryChoice.split("/");
    return { gatewayId: gatewayId!, userTypeId: userTypeId!, filter: filter.trim() || undefined };
  };

  // A real read of the directory's first entries, mapped as the job will map them; nothing is written.
  const showPreview = async () => {
    setProblem(null);
    setPreview(null);
    setActing(true);
    try {
      const answer = await previewDirectory(environmentId, chosenDirectory());
      if ("message" in answer) setProblem(answer.message);
      else setPreview(answer.entries);
    } finally {
      setActing(false);
    }
  };

  const startDirectory = async (dryRun: boolean) => {
    setProblem(null);
    setErrors([]);
    setJob(null);
    setActing(true);
    try {
      const answer = await startDirectoryJob(environmentId, chosenDirectory(), dryRun, onConflict);
      if ("message" in answer) {
        setProblem(answer.message);
        return;
      }
      setJob(answer.job);
      router.replace(`${pathname}?job=${answer.job.id}`);
    } finally {
      setActing(false);
    }
  };

  // After a dry run: a new job from the dry run's stored rows, with no second upload.
  const importNow = async (dryRun: Job) => {
    setProblem(null);
    setActing(true);
    try {
      const answer = await importAfterDryRun(environmentId, dryRun.id, dryRun.onConflict);
      if ("message" in answer) {
        setProblem(answer.message);
        return;
      }
      setErrors([]);
      setJob(answer.job);
      router.replace(`${pathname}?job=${answer.job.id}`);
    } finally {
      setActing(false);
    }
  };

  const cancel = async (running: Job) => {
    setProblem(null);
    setActing(true);
    try {
      const answer = await cancelJob(environmentId, running.id);
      if ("message" in answer) setProblem(answer.message);
      else setJob(answer.job);
    } finally {
      setActing(false);
    }
  };

  const used = mapping.filter(Boolean);
  const duplicateMapping = used.length !== new Set(used).size;
  const busy = acting || uploadPercent !== null || (!!job && !ended(job));

  return (
    <div className="space-y-6">
      <fieldset className="flex gap-6 text-sm" aria-label="Where the users are">
        <label className="flex items-center gap-2">
          <input type="radio" name="source" value="file" checked={mode === "file"} onChange={() => setMode("file")} />
          From a file
        </label>
        <label className="flex items-center gap-2">
          <input type="radio" name="source" value="directory" checked={mode === "directory"} onChange={() => setMode("directory")} />
          From a directory
        </label>
      </fieldset>

      {mode === "directory" && (
        <Card>
          <CardHeader>
            <CardTitle>1. Directory</CardTitle>
            <CardDescription>
              The job pages through the gateway&apos;s directory under the user type&apos;s base DN and maps each entry by its attribute mappings. Users whose password hash can be read keep it; the others are linked to the gateway.
            </CardDescription>
          </CardHeader>
          <CardContent className="space-y-4">
            {userTypes.length === 0 ? (
              <Alert tone="warning">No LDAP gateway of this environment has a user type that maps username: add one under Gateways first.</Alert>
            ) : (
              <>
                <div className="grid gap-4 sm:grid-cols-2">
                  <div>
                    <Label htmlFor="directoryUserType">Gateway and user type</Label>
                    <Select id="directoryUserType" value={directoryChoice} onChange={(e) => (setDirectoryChoice(e.target.value), setPreview(null))}>
                      {userTypes.map((t) => (
                        <option key={t.value} value={t.value}>
                          {t.label}
                          {t.base ? ` (${t.base})` : ""}
                        </option>
                      ))}
                    </Select>
                  </div>
                  <div>
                    <Label htmlFor="directoryFilter">LDAP filter (default (objectClass=person))</Label>
                    <Input id="directoryFilter" value={filter} placeholder="(objectClass=person)" onChange={(e) => (setFilter(e.target.value), setPreview(null))} />
                  </div>
                  <div>
                    <Label htmlFor="directoryOnConflict">When the username already exists</Label>
                    <Select id="directoryOnConflict" value={onConflict} onChange={(e) => setOnConflict(e.target.value as UserImportOnConflict)}>
                      {ON_CONFLICT.map((c) => (
                        <option key={c} value={c}>
                          {ON_CONFLICT_LABELS[c]}
                        </option>
                      ))}
                    </Select>
                  </div>
                </div>
                <div className="flex gap-3">
                  <Button variant="secondary" disabled={busy || !directoryChoice} onClick={() => void showPreview()}>
                    Preview the first entries
                  </Button>
                  <Button variant="secondary" disabled={busy || !preview} onClick={() => void startDirectory(true)}>
                    Validate (dry run)
                  </Button>
                  <Button disabled={busy || !preview} onClick={() => void startDirectory(false)}>
                    Import
                  </Button>
                </div>
                {preview && preview.length === 0 && <Alert tone="warning">No entry under the base DN matches the filter.</Alert>}
                {preview && preview.length > 0 && (
                  <Table aria-label="Preview of mapped entries">
                    <THead>
                      <tr>
                        <TH>DN</TH>
                        <TH>Username</TH>
                        <TH>Email</TH>
                        <TH>Name</TH>
                        <TH>Password</TH>
                      </tr>
                    </THead>
                    <TBody>
                      {preview.map((p) => {
                        const u = p.user as { username?: string; email?: string; name?: { formatted?: string; given?: string; family?: string } };
                        return (
                          <TR key={p.dn}>
                            <TD className="font-mono text-xs">{p.dn}</TD>
                            <TD>{u.username ?? "(none: error row)"}</TD>
                            <TD>{u.email}</TD>
                            <TD>{u.name?.formatted ?? [u.name?.given, u.name?.family].filter(Boolean).join(" ")}</TD>
                            <TD>{p.password === "copied" ? "hash copied" : p.password === "linked" ? "linked to the gateway" : "none"}</TD>
                          </TR>
                        );
                      })}
                    </TBody>
                  </Table>
                )}
              </>
            )}
          </CardContent>
        </Card>
      )}

      {mode === "file" && (
      <Card>
        <CardHeader>
          <CardTitle>1. File</CardTitle>
          <CardDescription>
            CSV with a header row (UTF-8), JSON Lines, a JSON array of users, or LDIF (slapcat, ldapsearch -L, ldifde); up to {maxRows.toLocaleString("en")} rows.{" "}
            <a className="text-indigo-600 underline" href={`data:text/csv;charset=utf-8,${encodeURIComponent(CSV_TEMPLATE)}`} download="users-template.csv">
              Download a CSV template
            </a>
          </CardDescription>
        </CardHeader>
        <CardContent>
          <label
            onDragOver={(e) => {
              e.preventDefault();
              setDragging(true);
            }}
            onDragLeave={() => setDragging(false)}
            onDrop={(e) => {
              e.preventDefault();
              setDragging(false);
              void choose(e.dataTransfer.files[0]);
            }}
            className={`flex cursor-pointer flex-col items-center justify-center rounded-lg border-2 border-dashed p-8 text-sm ${dragging ? "border-indigo-500 bg-indigo-50" : "border-slate-300"}`}
          >
            <span className="font-medium text-slate-800">{file ? `${file.name} (${(file.size / 1024).toFixed(0)} KB)` : "Drop a file here, or click to choose one"}</span>
            <input type="file" className="sr-only" accept=".csv,.ndjson,.jsonl,.json,.ldif" aria-label="File to import" onChange={(e) => void choose(e.target.files?.[0])} />
          </label>
        </CardContent>
      </Card>
      )}

      {mode === "file" && file && (
        <Card>
          <CardHeader>
            <CardTitle>2. Columns and options</CardTitle>
            <CardDescription>Columns are matched to attributes by their header; change any match, or ignore a column.</CardDescription>
          </CardHeader>
          <CardContent className="space-y-4">
            {header.length > 0 && (
              <Table aria-label="Column mapping">
                <THead>
                  <tr>
                    <TH>Column in the file</TH>
                    <TH>Attribute</TH>
                  </tr>
                </THead>
                <TBody>
                  {header.map((h, i) => (
                    <TR key={i}>
                      <TD className="font-mono text-xs">{h}</TD>
                      <TD>
                        <Select
                          aria-label={`Attribute for column ${h}`}
                          value={mapping[i] ?? IGNORE}
                          onChange={(e) => setMapping((m) => m.map((v, j) => (j === i ? e.target.value : v)))}
                        >
                          <option value={IGNORE}>(ignore)</option>
                          {BULK_COLUMN_PATHS.map((p) => (
                            <option key={p} value={p}>
                              {p}
                            </option>
                          ))}
                        </Select>
                      </TD>
                    </TR>
                  ))}
                </TBody>
              </Table>
            )}
            {duplicateMapping && <Alert tone="warning">Two columns are mapped to the same attribute.</Alert>}
            {formatOfFileName(file.name) === "ldif" && (
              <div>
                <Label htmlFor="ldifUserType">Map the entries by</Label>
                <Select id="ldifUserType" value={ldifUserType} onChange={(e) => setLdifUserType(e.target.value)}>
                  <option value="">The default mapping (uid, mail, givenName, sn, cn, userPassword ...)</option>
                  {userTypes.map((t) => (
                    <option key={t.value} value={t.value}>
                      {t.label}: its attribute mappings; users without a copyable hash linked to the gateway
                    </option>
                  ))}
                </Select>
              </div>
            )}
            <div className="grid gap-4 sm:grid-cols-2">
              <div>
                <Label htmlFor="defaultPopulation">Population for rows without population.id</Label>
                <Select id="defaultPopulation" value={defaultPopulation} onChange={(e) => setDefaultPopulation(e.target.value)}>
                  {populations.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                      {p.isDefault ? " (default)" : ""}
                    </option>
                  ))}
                </Select>
              </div>
              <div>
                <Label htmlFor="onConflict">When the username already exists</Label>
                <Select id="onConflict" value={onConflict} onChange={(e) => setOnConflict(e.target.value as UserImportOnConflict)}>
                  {ON_CONFLICT.map((c) => (
                    <option key={c} value={c}>
                      {ON_CONFLICT_LABELS[c]}
                    </option>
                  ))}
                </Select>
              </div>
            </div>
            <div className="flex gap-3">
              <Button variant="secondary" disabled={busy || duplicateMapping} onClick={() => void start(true)}>
                Validate (dry run)
              </Button>
              <Button disabled={busy || duplicateMapping} onClick={() => void start(false)}>
                Import
              </Button>
            </div>
          </CardContent>
        </Card>
      )}

      {problem && (
        <Alert tone="error" role="alert">
          {problem}
        </Alert>
      )}

      {uploadPercent !== null && <Progress label={`Uploading: ${uploadPercent}%`} percent={uploadPercent} />}

      {job && (
        <Card aria-live="polite">
          <CardHeader>
            <CardTitle>{job.dryRun ? "Validation (dry run: no user written)" : "Import"}: {job.status.toLowerCase()}</CardTitle>
          </CardHeader>
          <CardContent className="space-y-4">
            {!ended(job) && (
              <>
                <Progress
                  label={`${job.phase} · ${job.status === "UPLOADING" && job.source?.type === "LDAP" ? "reading the directory: " : ""}${job.progress.rowsDone.toLocaleString()} of ${job.progress.totalRows.toLocaleString()} rows · ${job.progress.rowsPerSecondLastMinute.toLocaleString()} rows/s over the last minute${job.progress.estimatedSecondsLeft !== null ? ` · about ${job.progress.estimatedSecondsLeft} s left` : ""}`}
                  percent={job.progress.percent}
                />
                <Button variant="secondary" disabled={acting} onClick={() => void cancel(job)}>
                  Cancel
                </Button>
              </>
            )}
            <JobRateChart history={job.progress.history} />
            <dl className="grid grid-cols-2 gap-2 text-sm sm:grid-cols-5">
              {(
                [
                  ["Rows", job.counts.total],
                  [job.dryRun ? "Valid" : "Created", job.counts.created],
                  ["Updated", job.counts.updated],
                  ["Skipped", job.counts.skipped],
                  ["Failed", job.counts.failed],
                  ...(job.format === "ldap" || job.format === "ldif"
                    ? ([
                        ["Passwords copied", job.counts.passwordsCopied],
                        ["Linked to the gateway", job.counts.linked],
                      ] as const)
                    : []),
                ] as const
              ).map(([k, v]) => (
                <div key={k} className="rounded-md bg-slate-50 p-2">
                  <dt className="text-xs text-slate-500">{k}</dt>
                  <dd className="text-lg font-semibold text-slate-900">{v.toLocaleString()}</dd>
                </div>
              ))}
            </dl>
            {job.failure && (
              <Alert tone="error" role="alert">
                {job.failure.message}
              </Alert>
            )}
            {ended(job) && job.counts.failed > 0 && (
              <>
                <a className="text-sm text-indigo-600 underline" href={`${base}/${job.id}/errors?format=csv`}>
                  Download the error report (CSV)
                </a>
                <Table aria-label="Rows with errors">
                  <THead>
                    <tr>
                      <TH>Row</TH>
                      <TH>Username</TH>
                      <TH>Attribute</TH>
                      <TH>Code</TH>
                      <TH>Message</TH>
                    </tr>
                  </THead>
                  <TBody>
                    {errors.map((e) => (
                      <TR key={e.row}>
                        <TD>{e.row}</TD>
                        <TD>{e.username}</TD>
                        <TD className="font-mono text-xs">{e.target}</TD>
                        <TD className="font-mono text-xs">{e.code}</TD>
                        <TD>{e.message}</TD>
                      </TR>
                    ))}
                  </TBody>
                </Table>
              </>
            )}
            {ended(job) && !job.dryRun && (
              <a className="block text-sm text-indigo-600 underline" href={`/console/environments/${environmentId}/imports/${job.id}`}>
                Open the job page (report, undo)
              </a>
            )}
            {job.status === "COMPLETED" && job.dryRun && (
              <Button disabled={busy} onClick={() => void importNow(job)}>
                Import the valid rows now
              </Button>
            )}
          </CardContent>
        </Card>
      )}
    </div>
  );
}

function Progress({ label, percent }: { label: string; percent: number }) {
  return (
    <div>
      <div className="mb-1 text-sm text-slate-700">{label}</div>
      <div role="progressbar" aria-label={label} aria-valuenow={percent} aria-valuemin={0} aria-valuemax={100} className="h-2 w-full overflow-hidden rounded-full bg-slate-200">
        <div className="h-full bg-indigo-600 transition-all" style={{ width: `${percent}%` }} />
      </div>
    </div>
  );
}

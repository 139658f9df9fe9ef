import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import { FilterParser } from "ldapts";
import { z } from "zod";
import { getDb, rows } from "@/db";
import { gatewayUserTypes, gateways, userImportChunks, userImportJobs, type UserImportJobRow, type UserImportJobSource } from "@/db/schema";
import { reach, reaches, requireEnvironmentAccess, type Actor } from "@/lib/access";
import { ApiError, forbidden, invalidData, requestFailed, serviceUnavailable } from "@/lib/api/errors";
import { parseOrInvalid } from "@/lib/api/validation";
import { isUuid, uuidv7 } from "@/lib/ids";
import { log, safeError } from "@/lib/log";
import { directoryFor, DirectoryError, type Directory } from "@/lib/gateways/directory";
import type { LoadedLink } from "@/lib/gateways/links";
import { directorySettingsOf, UnreadableBindPassword } from "@/lib/gateways/manage";
import { mappedLdapAttributes } from "@/lib/gateways/mapping";
import { ON_CONFLICT } from "./options";
import { entryRow } from "./entry-rows";
import { entryMappingOf, loadSourceUserType } from "./source-user-type";
import { chunkRows, maxRows, wakeJobWorker } from "./jobs";
import { leaseSeconds } from "./queue";
import { encodeRow } from "./stored-rows";

/**
 * A bulk job whose rows come from a live directory (spec 9.1) instead of a file: a row SOURCE in
 * front of the same chunk / decision / write pipeline as a file. The job's feeder pages through
 * the directory (Simple Paged Results) under the user type's searchBaseDn, maps each entry as
 * entry-rows.ts does, and stores the rows as chunks, which the chunk workers (of any process)
 * work while the feeder goes on reading; the job stays UPLOADING until the directory is read.
 *
 * Resume after a crash: the feeder's position is the number of entries it has stored, written in
 * the same transaction as each chunk. A feeder that stops beating (its process died) is taken
 * over by any server's worker after the chunk lease time: it runs the same search again from the
 * start and passes over that many entries (a paged search's cookie cannot outlive its connection,
 * so there is no position to persist inside the search itself). That assumes the directory gives
 * the entries in the same order, as OpenLDAP's mdb and every server without server-side sorting
 * do for an unchanged tree; an entry added or removed meanwhile can move entries across the
 * boundary, and a user met twice is then a duplicate row of the job (never a second user).
 * Each chunk is claimed by writing its sequence number: a feeder that finds the job's chunk count
 * moved on (another took over) or the job no longer UPLOADING (canceled) stops at once.
 *
 * The directory down mid-job: the feeder waits and searches again (1, 2, 4 ... 30 s apart) for
 * BULK_DIRECTORY_RETRY_SECONDS (default 300); still down after that, the job FAILS with
 * SERVICE_UNAVAILABLE and the reason. Down when the job is asked for: 503 with Retry-After.
 */

export const DEFAULT_DIRECTORY_FILTER = "(objectClass=person)";

const PAGE_SIZE = 500;

export function directoryRetrySeconds(): number {
  const v = Number(process.env.BULK_DIRECTORY_RETRY_SECONDS);
  return Number.isFinite(v) && v >= 0 ? v : 300;
}

const idSchema = z.object({ id: z.string().refine(isUuid, { message: "Must be a UUID." }) });

export const directoryJobSchema = z.object({
  source: z.object({
    type: z.literal("LDAP", { message: "source.type must be LDAP." }),
    gateway: idSchema,
    userType: idSchema,
    filter: z.string().max(4096).nullish(),
  }),
  dryRun: z.boolean().optional(),
  onConflict: z.enum(ON_CONFLICT, { message: `onConflict must be ${ON_CONFLICT.join(", ")}.` }).optional(),
});
export type DirectoryJobInput = z.output<typeof directoryJobSchema>;

/** The filter a job searches with: the caller's, checked as RFC 4515 asks, else the default. */
function checkedFilter(filter: string | null | undefined): string {
  const f = filter?.trim() || DEFAULT_DIRECTORY_FILTER;
  try {
    FilterParser.parseString(f);
  } catch {
    throw invalidData([{ code: "INVALID_VALUE", target: "source.filter", message: "source.filter is not an LDAP filter (RFC 4515), such as (objectClass=person)." }]);
  }
  return f;
}

/** What a search must ask for: the mapped attributes, the link attributes and userPassword. */
function searchAttributes(link: LoadedLink): string[] {
  const mappings = link.userType.newUserLookup?.attributeMappings ?? [];
  return [...new Set([...mappedLdapAttributes(mappings), ...link.userType.orderedCorrelationAttributes, "userPassword"])];
}

/** The checks a directory source must pass before anything is read: a 400 naming the field, or a 503. */
function checkSource(link: LoadedLink): void {
  const g = link.gateway;
  const t = link.userType;
  if (g.type !== "LDAP") throw invalidData([{ code: "INVALID_VALUE", target: "source.gateway.id", message: `The gateway ${g.name} is of type ${g.type}: only LDAP gateways are read.` }]);
  if (!g.enabled) throw requestFailed(`The gateway ${g.name} is disabled: enable it to import from it.`);
  if (!t.searchBaseDn) throw invalidData([{ code: "INVALID_VALUE", target: "source.userType.id", message: `User type ${t.name} has no searchBaseDn: set one to import from it.` }]);
  const mappings = t.newUserLookup?.attributeMappings ?? [];
  if (!mappings.some((m) => m.name === "username")) {
    throw invalidData([{ code: "INVALID_VALUE", target: "source.userType.id", message: `User type ${t.name} maps no attribute to username: add one to its newUserLookup.attributeMappings.` }]);
  }
}

function unavailable(link: LoadedLink, err: DirectoryError): ApiError {
  return serviceUnavailable(`The external directory of the gateway ${link.gateway.name} is unavailable: ${err.message}`, err.failure === "unreachable" ? 5 : 30);
}

async function directoryOf(link: LoadedLink): Promise<Directory> {
  const g = link.gateway;
  if (g.servers.length === 0) throw new DirectoryError("not-configured", "The gateway names no directory servers: add one (host:port).");
  return directoryFor(g.id, g.version, async () => {
    try {
      return await directorySettingsOf(g);
    } catch (err) {
      if (err instanceof UnreadableBindPassword) throw new DirectoryError("service-bind", err.message);
      throw err;
    }
  });
}

/** The directory's failure as an API answer (a 503 with Retry-After; a refused search is a 400). */
function asApiError(link: LoadedLink, err: unknown): unknown {
  if (!(err instanceof DirectoryError)) return err;
  if (err.failure === "refused" || err.failure === "base-not-found") return requestFailed(`The directory of the gateway ${link.gateway.name}: ${err.message}`);
  return unavailable(link, err);
}

export type DirectoryPreviewEntry = {
  dn: string;
  /** The §2.1 body the entry maps to, without its password. */
  user: Record<string, unknown>;
  /** copied: the user keeps its directory hash; linked: linked to the gateway; none. */
  password: "copied" | "linked" | "none";
};

/**
 * The first `limit` entries of a directory source as the job would map them, read from the
 * directory now and written nowhere (the wizard's preview). Never a password or hash: only
 * whether it would be copied or linked. The caller must be able to import into the user type's
 * population (or the whole environment).
 */
export async function previewDirectorySource(
  actor: Actor,
  environmentId: string,
  input: { gatewayId: string; userTypeId: string; filter?: string | null },
  limit = 5,
): Promise<DirectoryPreviewEntry[]> {
  requireEnvironmentAccess(actor, "users:write", environmentId);
  const link = await loadSourceUserType(environmentId, input.userTypeId, input.gatewayId);
  checkSource(link);
  const population = link.userType.newUserLookup?.populationId ?? null;
  const r = reach(actor, "users:write", environmentId);
  if (!r?.all && !(population && reaches(r, population))) throw forbidden("Previewing a directory needs the right to import users into the user type's population.");
  const filter = checkedFilter(input.filter);
  const mapping = entryMappingOf(link);
  try {
    const directory = await directoryOf(link);
    const out: DirectoryPreviewEntry[] = [];
    for await (const page of directory.pages(link.userType.searchBaseDn!, filter, { pageSize: Math.max(1, Math.min(limit, 100)), attributes: searchAttributes(link) })) {
      for (const entry of page) {
        const row = entryRow(out.length + 1, entry.dn, entry, mapping);
        const { password: _password, ...user } = ("body" in row ? row.body : {}) as Record<string, unknown>;
        out.push({ dn: entry.dn, user, password: row.source?.password ?? "none" });
        if (out.length >= limit) return out;
      }
    }
    return out;
  } catch (err) {
    throw asApiError(link, err);
  }
}

const feeds = new Set<Promise<void>>();

/** Waits for the directory feeds this process runs (tests; a server's graceful stop). */
export async function settleDirectoryFeeds(): Promise<void> {
  while (feeds.size) await Promise.allSettled([...feeds]);
}

function startFeed(jobId: string): void {
  const p: Promise<void> = feedDirectoryJob(jobId)
    .catch((err) => log.error("directory import feed failed", { job: jobId, ...safeError(err) }))
    .finally(() => feeds.delete(p));
  feeds.add(p);
}

/**
 * Starts a directory job (spec 9.1): checks the source (a 400 naming the field), that the
 * directory answers (a 503 with Retry-After when it does not), queues the job and starts reading
 * the directory in the background; 202 with the job, as for a file.
 */
export async function createDirectoryJob(actor: Actor, environmentId: string, body: unknown): Promise<UserImportJobRow> {
  requireEnvironmentAccess(actor, "users:write", environmentId);
  const input = parseOrInvalid(directoryJobSchema, body);
  const link = await loadSourceUserType(environmentId, input.source.userType.id, input.source.gateway.id);
  checkSource(link);
  const filter = checkedFilter(input.source.filter);
  try {
    await (await directoryOf(link)).ping();
  } catch (err) {
    throw asApiError(link, err);
  }
  const db = await getDb();
  const source: UserImportJobSource = { type: "LDAP", gatewayId: link.gateway.id, userTypeId: link.userType.id, filter };
  const now = new Date();
  const [job] = await db
    .insert(userImportJobs)
    .values({
      id: uuidv7(),
      environmentId,
      actorType: actor.type,
      actorId: actor.id,
      format: "ldap",
      fileName: null,
      source,
      dryRun: input.dryRun ?? false,
      onConflict: input.onConflict ?? "fail",
      defaultPopulationId: link.userType.newUserLookup?.populationId ?? null,
      status: "UPLOADING",
      startedAt: now,
    })
    .returning();
  startFeed(job!.id);
  return job!;
}

class LostFeed extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Marks the job alive (the feeder's heartbeat); false when it was canceled or taken over. */
async function beat(jobId: string, seq: number): Promise<boolean> {
  const db = await getDb();
  const r = rows<{ id: string }>(
    await db.execute(sql`update user_import_jobs set updated_at = now() where id = ${jobId} and status = 'UPLOADING' and chunks_total = ${seq} returning id`),
  );
  return r.length > 0;
}

async function failJob(jobId: string, code: string, message: string): Promise<void> {
  const db = await getDb();
  await db.transaction(async (tx) => {
    const failed = rows<{ id: string }>(
      await tx.execute(sql`update user_import_jobs set status = 'FAILED', failure = ${JSON.stringify({ code, message })}::jsonb, finished_at = now(), updated_at = now()
        where id = ${jobId} and status in ('UPLOADING', 'QUEUED', 'RUNNING') returning id`),
    );
    if (failed.length) await tx.execute(sql`update user_import_chunks set data = '' where job_id = ${jobId}`);
  });
}

/**
 * Reads a directory job's entries into its chunks, from where it stands (its stored entries are
 * passed over), then ends its reading. Returns when the directory has been read, the job was
 * canceled, another feeder took over, or the job failed.
 */
export async function feedDirectoryJob(jobId: string): Promise<void> {
  const db = await getDb();
  const [job] = await db.select().from(userImportJobs).where(eq(userImportJobs.id, jobId));
  if (!job || job.status !== "UPLOADING" || job.format !== "ldap" || !job.source) return;
  let link: LoadedLink;
  try {
    link = await loadSourceUserType(job.environmentId, job.source.userTypeId, job.source.gatewayId);
    checkSource(link);
  } catch (err) {
    await failJob(jobId, "REQUEST_FAILED", err instanceof ApiError ? (err.details?.[0]?.message ?? err.message) : "The job's gateway or user type can no longer be read.");
    return;
  }
  const mapping = entryMappingOf(link);
  const attributes = searchAttributes(link);
  const filter = job.source.filter || DEFAULT_DIRECTORY_FILTER;
  const perChunk = chunkRows();
  const limit = maxRows();
  let seq = job.chunksTotal;
  let stored = job.totalRows;
  let downSince: number | null = null;
  let backoff = 1000;

  for (;;) {
    let writing: Promise<void> = Promise.resolve();
    // Entries stored before a crash or an outage are passed over: the search starts again from its beginning.
    const skip = stored;
    let lastBeat = Date.now();
    try {
      const directory = await directoryOf(link);
      let index = 0;
      let lines: string[] = [];
      const flush = async () => {
        await writing;
        if (!lines.length) return;
        const data = lines.join("\n");
        const count = lines.length;
        const at = seq;
        lines = [];
        writing = (async () => {
          await db.transaction(async (tx) => {
            const moved = rows<{ id: string }>(
              await tx.execute(sql`update user_import_jobs set chunks_total = chunks_total + 1, total_rows = total_rows + ${count}, updated_at = now()
                where id = ${jobId} and status = 'UPLOADING' and chunks_total = ${at} returning id`),
            );
            if (!moved.length) throw new LostFeed();
            await tx.insert(userImportChunks).values({ jobId, seq: at, rowCount: count, data });
          });
          wakeJobWorker();
        })();
        writing.catch(() => {});
        seq = at + 1;
        stored += count;
        lastBeat = Date.now();
      };
      for await (const page of directory.pages(link.userType.searchBaseDn!, filter, { pageSize: PAGE_SIZE, attributes })) {
        downSince = null;
        backoff = 1000;
        for (const entry of page) {
          index++;
          if (index <= skip) continue;
          if (index > limit) {
            await flush();
            await writing;
            await failJob(jobId, "INVALID_DATA", `The directory holds more than ${limit.toLocaleString("en")} entries matching the filter: narrow the filter or the user type's searchBaseDn.`);
            return;
          }
          lines.push(encodeRow(entryRow(index, entry.dn, entry, mapping)));
          if (lines.length >= perChunk) await flush();
        }
        // Passing over stored entries (or a slow page) writes nothing: the job is kept alive by hand.
        if (Date.now() - lastBeat > (leaseSeconds() * 1000) / 3) {
          await writing;
          if (!(await beat(jobId, seq))) return;
          lastBeat = Date.now();
        }
      }
      await flush();
      await writing;
      const done = rows<{ status: string }>(
        await db.execute(sql`update user_import_jobs set
            status = case when chunks_total = 0 or chunks_done >= chunks_total then 'COMPLETED' else 'QUEUED' end,
            finished_at = case when chunks_total = 0 or chunks_done >= chunks_total then now() else null end,
            updated_at = now()
          where id = ${jobId} and status = 'UPLOADING' and chunks_total = ${seq} returning status`),
      );
      if (done.length) wakeJobWorker();
      return;
    } catch (err) {
      if (err instanceof LostFeed) return;
      try {
        await writing;
      } catch (writeErr) {
        // A chunk write that failed leaves the position as the database has it: a takeover resumes from there.
        if (writeErr instanceof LostFeed) return;
        throw writeErr;
      }
      if (!(err instanceof DirectoryError)) throw err;
      if (err.failure !== "unreachable" && err.failure !== "tls") {
        await failJob(jobId, err.failure === "refused" || err.failure === "base-not-found" ? "REQUEST_FAILED" : "SERVICE_UNAVAILABLE", `The directory of the gateway ${link.gateway.name}: ${err.message}`);
        return;
      }
      downSince ??= Date.now();
      if (Date.now() - downSince > directoryRetrySeconds() * 1000) {
        await failJob(jobId, "SERVICE_UNAVAILABLE", `The external directory of the gateway ${link.gateway.name} stayed unavailable for ${directoryRetrySeconds()} s: ${err.message} Start the job again when it is back.`);
        return;
      }
      log.warn("directory import waiting for the directory", { job: jobId, gatewayId: link.gateway.id, reason: err.message });
      await sleep(backoff);
      backoff = Math.min(backoff * 2, 30_000);
      if (!(await beat(jobId, seq))) return;
    }
  }
}

/**
 * Takes over a directory job whose feeder stopped beating for longer than the chunk lease (its
 * process died) and runs it here. Called now and then by every server's job worker.
 */
export async function resumeStalledDirectoryFeeds(): Promise<number> {
  const db = await getDb();
  const stalled = rows<{ id: string }>(
    await db.execute(sql`update user_import_jobs set updated_at = now()
      where id in (select id from user_import_jobs where status = 'UPLOADING' and format = 'ldap'
                   and updated_at < now() - ${`${leaseSeconds()} seconds`}::interval for update skip locked)
      returning id`),
  );
  for (const { id } of stalled) startFeed(id);
  return stalled.length;
}

export type DirectorySourceChoice = {
  gatewayId: string;
  gatewayName: string;
  userTypes: { id: string; name: string; searchBaseDn: string | null; populationId: string | null; mapsUsername: boolean }[];
};

/**
 * The environment's LDAP gateways and their user types, as the import wizard offers them (no
 * connection detail, no secret): for anyone who may import users, not only gateway managers.
 */
export async function listDirectorySources(actor: Actor, environmentId: string): Promise<DirectorySourceChoice[]> {
  requireEnvironmentAccess(actor, "users:write", environmentId);
  const db = await getDb();
  const found = await db
    .select({ gatewayId: gateways.id, gatewayName: gateways.name, userTypeId: gatewayUserTypes.id, userTypeName: gatewayUserTypes.name, searchBaseDn: gatewayUserTypes.searchBaseDn, lookup: gatewayUserTypes.newUserLookup })
    .from(gateways)
    .innerJoin(gatewayUserTypes, eq(gatewayUserTypes.gatewayId, gateways.id))
    .where(and(eq(gateways.environmentId, environmentId), eq(gateways.type, "LDAP")))
    .orderBy(asc(gateways.name), asc(gatewayUserTypes.name));
  const byGateway = new Map<string, DirectorySourceChoice>();
  for (const r of found) {
    const g = byGateway.get(r.gatewayId) ?? { gatewayId: r.gatewayId, gatewayName: r.gatewayName, userTypes: [] };
    byGateway.set(r.gatewayId, g);
    g.userTypes.push({
      id: r.userTypeId,
      name: r.userTypeName,
      searchBaseDn: r.searchBaseDn,
      populationId: r.lookup?.populationId ?? null,
      mapsUsername: (r.lookup?.attributeMappings ?? []).some((m) => m.name === "username"),
    });
  }
  return [...byGateway.values()];
}

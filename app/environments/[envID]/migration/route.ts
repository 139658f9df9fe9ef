import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { migrationOverview } from "@/lib/migration";

/** The migration cockpit's numbers (issue 16): users by password state, upgrades per day, import jobs, what is left. */
export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const query = Object.fromEntries(new URL(req.url).searchParams);
  const overview = await migrationOverview(actor, envId, query);
  const base = `${apiBase(req)}/environments/${envId}`;
  return json({
    _links: {
      self: { href: `${base}/migration` },
      remainingUsers: { href: `${base}/migration/remainingUsers` },
      userImportJobs: { href: `${base}/userImportJobs` },
    },
    ...overview,
    importJobs: overview.importJobs.map((j) => ({ ...j, _links: { self: { href: `${base}/userImportJobs/${j.id}` } } })),
  });
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

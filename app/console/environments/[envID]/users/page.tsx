import Link from "next/link";
import { ChevronRight, Search, UserPlus } from "lucide-react";
import { reach, reaches } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment, listIdentityProviders, listPopulations } from "@/lib/environments";
import { decodeCursor, listUsers } from "@/lib/users/queries";
import { ApiError } from "@/lib/api/errors";
import { PageHeader, EmptyState } from "@/components/console/page-header";
import { buttonClass } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import { Badge } from "@/components/ui/badge";
import { Alert } from "@/components/ui/alert";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";

const PAGE_SIZE = 25;

/** `checked=never`: only users never successfully checked since import (linked from the migration page). */
type Search = { q?: string; population?: string; cursor?: string; notice?: string; checked?: string };

export default async function UsersPage({ params, searchParams }: { params: Promise<{ envID: string }>; searchParams: Promise<Search> }) {
  const actor = await requireConsoleActor();
  const { envID } = await params;
  const sp = await searchParams;
  const env = await getEnvironment(actor, envID);
  const readReach = reach(actor, "users:read", env.id);
  if (!readReach) {
    return <Alert tone="warning" title="No access to users">Your roles in this environment do not include reading users.</Alert>;
  }
  const canWrite = reach(actor, "users:write", env.id) !== null;
  const pops = (await listPopulations(actor, env.id)).filter((p) => reaches(readReach, p.id));
  const idps = await listIdentityProviders(actor, env.id);
  const popName = new Map(pops.map((p) => [p.id, p.name]));
  const idpName = new Map(idps.map((i) => [i.id, i.name]));

  const q = (sp.q ?? "").trim().slice(0, 128);
  const population = pops.some((p) => p.id === sp.population) ? sp.population : undefined;
  const checked = sp.checked === "never" ? "never" : undefined;
  let after: string | null = null;
  let badCursor = false;
  if (sp.cursor) {
    try {
      after = decodeCursor(sp.cursor);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      badCursor = true;
    }
  }
  const page = await listUsers(actor, env.id, {
    limit: PAGE_SIZE,
    after,
    search: q || undefined,
    filter: population ? { kind: "cmp", attribute: "population.id", op: "eq", value: population } : null,
    neverChecked: checked === "never",
  });
  const qs = (extra: Record<string, string | undefined>) => {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries({ q: q || undefined, population, checked, ...extra })) if (v) u.set(k, v);
    const s = u.toString();
    return s ? `?${s}` : "";
  };
  const base = `/console/environments/${env.id}/users`;

  return (
    <>
      <PageHeader
        title="Users"
        description={`${env.name} environment`}
        crumbs={[{ href: "/console/environments", label: "Environments" }]}
        actions={
          canWrite && (
            <Link href={`${base}/new`} className={buttonClass()}>
              <UserPlus className="h-4 w-4" aria-hidden /> Import user
            </Link>
          )
        }
      />
      {sp.notice === "deleted" && (
        <Alert tone="success" className="mb-4">
          The user was deleted.
        </Alert>
      )}
      <form role="search" method="get" action={base} className="mb-4 flex flex-col gap-3 rounded-xl border border-slate-200 bg-white p-4 shadow-sm sm:flex-row sm:items-end">
        <div className="flex-1 space-y-1.5">
          <Label htmlFor="q">Search</Label>
          <div className="relative">
            <Search className="pointer-events-none absolute top-2.5 left-2.5 h-4 w-4 text-slate-400" aria-hidden />
            <Input id="q" name="q" defaultValue={q} placeholder="Username or email starts with…" className="pl-8" aria-describedby="q-hint" />
          </div>
          <p id="q-hint" className="sr-only">Matches the beginning of a username or an email address.</p>
        </div>
        <div className="space-y-1.5 sm:w-56">
          <Label htmlFor="population">Population</Label>
          <Select id="population" name="population" defaultValue={population ?? ""}>
            <option value="">All populations</option>
            {pops.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </Select>
        </div>
        <div className="space-y-1.5 sm:w-64">
          <Label htmlFor="checked">Password check</Label>
          <Select id="checked" name="checked" defaultValue={checked ?? ""}>
            <option value="">Any</option>
            <option value="never">Never checked since import</option>
          </Select>
        </div>
        <button type="submit" className={buttonClass("secondary")}>
          Apply
        </button>
      </form>
      {badCursor && <Alert tone="warning" className="mb-4">That page link is no longer valid; showing the first page.</Alert>}
      {page.users.length === 0 ? (
        <EmptyState title={q || population || checked ? "No users match" : "No users yet"}>
          {q || population || checked ? "Try a shorter prefix or another population." : canWrite ? "Import the first one." : null}
        </EmptyState>
      ) : (
        <div className="overflow-hidden rounded-xl border border-slate-200 bg-white shadow-sm">
          <Table aria-label="Users">
            <THead>
              <tr>
                <TH>Username</TH>
                <TH>Email</TH>
                <TH>Population</TH>
                <TH>Status</TH>
                <TH>Identity provider</TH>
                <TH>Created</TH>
              </tr>
            </THead>
            <TBody>
              {page.users.map((u) => (
                <TR key={u.id}>
                  <TD className="font-medium text-slate-900">
                    <Link href={`${base}/${u.id}`} className="text-indigo-700 hover:underline">
                      {u.username}
                    </Link>
                  </TD>
                  <TD>{u.email ?? <span className="text-slate-400">—</span>}</TD>
                  <TD>{popName.get(u.populationId) ?? u.populationId}</TD>
                  <TD>
                    <Badge tone={u.lifecycleStatus === "ACCOUNT_OK" ? "green" : "amber"}>{u.lifecycleStatus}</Badge>
                    {!u.enabled && (
                      <Badge tone="red" className="ml-1">
                        disabled
                      </Badge>
                    )}
                  </TD>
                  <TD>{u.identityProviderId ? (idpName.get(u.identityProviderId) ?? u.identityProviderType) : "PingOne"}</TD>
                  <TD className="whitespace-nowrap text-slate-500">
                    <time dateTime={u.createdAt.toISOString()}>{u.createdAt.toISOString().slice(0, 16).replace("T", " ")}</time>
                  </TD>
                </TR>
              ))}
            </TBody>
          </Table>
        </div>
      )}
      <nav aria-label="Pagination" className="mt-4 flex items-center justify-between text-sm">
        <span className="text-slate-500">{page.users.length} shown</span>
        <div className="flex gap-2">
          {after && (
            <Link href={`${base}${qs({})}`} className={buttonClass("secondary", "sm")}>
              First page
            </Link>
          )}
          {page.nextCursor && (
            <Link href={`${base}${qs({ cursor: page.nextCursor })}`} className={buttonClass("secondary", "sm")} rel="next">
              Next page <ChevronRight className="h-4 w-4" aria-hidden />
            </Link>
          )}
        </div>
      </nav>
    </>
  );
}

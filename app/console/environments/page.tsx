import Link from "next/link";
import { ArrowRight, Boxes } from "lucide-react";
import { reach, ROLE_LABELS } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import { listEnvironments } from "@/lib/environments";
import { PageHeader, EmptyState } from "@/components/console/page-header";
import { Badge } from "@/components/ui/badge";

export default async function EnvironmentsPage() {
  const actor = await requireConsoleActor();
  const envs = await listEnvironments(actor);
  return (
    <>
      <PageHeader title="Environments" description="Choose an environment to browse and import its users." />
      {envs.length === 0 ? (
        <EmptyState title="No environments">You hold no role in any environment yet. Ask an Environment Admin to assign you one.</EmptyState>
      ) : (
        <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
          {envs.map((e) => {
            const roles = [...new Set(actor.assignments.filter((a) => a.scopeType === "ORGANIZATION" || a.environmentId === e.id).map((a) => ROLE_LABELS[a.role]))];
            const canRead = reach(actor, "users:read", e.id) !== null;
            return (
              <li key={e.id}>
                <Link
                  href={canRead ? `/console/environments/${e.id}/users` : `/console/environments/${e.id}/populations`}
                  className="group flex h-full flex-col rounded-xl border border-slate-200 bg-white p-5 shadow-sm transition hover:border-indigo-300 hover:shadow focus-visible:outline-2 focus-visible:outline-indigo-600"
                >
                  <div className="flex items-center gap-3">
                    <span className="flex h-9 w-9 items-center justify-center rounded-lg bg-indigo-50 text-indigo-600">
                      <Boxes className="h-5 w-5" aria-hidden />
                    </span>
                    <span className="font-semibold text-slate-900">{e.name}</span>
                    <ArrowRight className="ml-auto h-4 w-4 text-slate-400 transition group-hover:translate-x-0.5 group-hover:text-indigo-600" aria-hidden />
                  </div>
                  {e.description && <p className="mt-3 text-sm text-slate-500">{e.description}</p>}
                  <div className="mt-4 flex flex-wrap gap-1.5">
                    {roles.map((r) => (
                      <Badge key={r} tone="indigo">
                        {r}
                      </Badge>
                    ))}
                  </div>
                  <p className="mt-3 font-mono text-xs text-slate-400">{e.id}</p>
                </Link>
              </li>
            );
          })}
        </ul>
      )}
    </>
  );
}

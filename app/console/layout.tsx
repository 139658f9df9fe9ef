import Link from "next/link";
import { LogOut } from "lucide-react";
import { reach } from "@/lib/access";
import { isDatabaseUnavailable } from "@/lib/api/errors";
import { requireConsoleActor } from "@/lib/auth/console";
import { listEnvironments } from "@/lib/environments";
import { BrandIcon, ConsoleNav, type NavEnvironment } from "@/components/console/console-nav";
import { Alert } from "@/components/ui/alert";
import { SubmitButton } from "@/components/ui/submit-button";
import { signOutAction } from "./actions";

export const dynamic = "force-dynamic";

/**
 * The console shell: header, navigation, sign-out. Other features add pages under /console and
 * use requireConsoleActor() (lib/auth/console.ts) in each page and server action themselves;
 * this layout's check is a convenience, not the protection.
 */
export default async function ConsoleLayout({ children }: { children: React.ReactNode }) {
  let actor: Awaited<ReturnType<typeof requireConsoleActor>>;
  let envs: Awaited<ReturnType<typeof listEnvironments>>;
  try {
    actor = await requireConsoleActor();
    envs = await listEnvironments(actor);
  } catch (err) {
    // Every console page needs the database, and this layout asks it first: an outage is a page
    // that says so, not a crash. Anything else (the sign-in redirect included) goes on as thrown.
    if (isDatabaseUnavailable(err)) return <DatabaseUnavailable />;
    throw err;
  }
  const environments: NavEnvironment[] = envs.map((e) => ({
    id: e.id,
    name: e.name,
    canRead: reach(actor, "users:read", e.id) !== null,
    canWrite: reach(actor, "users:write", e.id) !== null,
    canManage: reach(actor, "environment:manage", e.id) !== null,
  }));
  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:top-2 focus:left-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="fixed inset-x-0 top-0 z-40 flex h-14 items-center gap-3 border-b border-slate-200 bg-white px-4">
        <ConsoleNav environments={environments} />
        <Link href="/console" className="flex items-center gap-2 font-semibold text-slate-900">
          <BrandIcon /> identity-import
        </Link>
        <div className="ml-auto flex items-center gap-3">
          <span className="hidden text-sm text-slate-600 sm:inline" data-testid="signed-in-as">
            Signed in as <span className="font-medium text-slate-900">{actor.username}</span>
          </span>
          <form action={signOutAction}>
            <SubmitButton variant="secondary" size="sm" pendingText="Signing out…">
              <LogOut className="h-4 w-4" aria-hidden /> Sign out
            </SubmitButton>
          </form>
        </div>
      </header>
      <main id="main" className="px-4 pt-20 pb-12 sm:px-6 lg:ml-64 lg:px-10">
        <div className="mx-auto max-w-6xl">{children}</div>
      </main>
    </div>
  );
}

function DatabaseUnavailable() {
  return (
    <main id="main" className="mx-auto max-w-lg px-4 py-12">
      <Alert tone="error" title="The database is unavailable" data-testid="database-unavailable">
        The console cannot reach its database at the moment. Nothing you saved is lost: reload the page in a few seconds.
      </Alert>
    </main>
  );
}

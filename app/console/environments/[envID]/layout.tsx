import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment } from "@/lib/environments";
import { orNotFound } from "@/lib/console/errors";

/** An environment the administrator holds no role in does not exist for them (404). */
export default async function EnvironmentLayout({ children, params }: { children: React.ReactNode; params: Promise<{ envID: string }> }) {
  const actor = await requireConsoleActor();
  const { envID } = await params;
  await orNotFound(getEnvironment(actor, envID));
  return <>{children}</>;
}

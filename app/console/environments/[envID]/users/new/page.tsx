import { reach, reaches } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment, listIdentityProviders, listPopulations } from "@/lib/environments";
import { listGateways } from "@/lib/gateways/manage";
import { PageHeader } from "@/components/console/page-header";
import { Alert } from "@/components/ui/alert";
import { UserImportForm } from "@/components/user-import-form";
import { importUserAction } from "./actions";

export default async function ImportUserPage({ params }: { params: Promise<{ envID: string }> }) {
  const actor = await requireConsoleActor();
  const { envID } = await params;
  const env = await getEnvironment(actor, envID);
  const writeReach = reach(actor, "users:write", env.id);
  const crumbs = [
    { href: "/console/environments", label: "Environments" },
    { href: `/console/environments/${env.id}/users`, label: `${env.name} · Users` },
  ];
  if (!writeReach) {
    return (
      <>
        <PageHeader title="Import a user" crumbs={crumbs} />
        <Alert tone="warning" title="Read-only access">Your roles in this environment do not allow importing users.</Alert>
      </>
    );
  }
  const [pops, idps, gws] = await Promise.all([listPopulations(actor, env.id), listIdentityProviders(actor, env.id), listGateways(actor, env.id)]);
  const options = {
    populations: pops.filter((p) => reaches(writeReach, p.id)).map((p) => ({ id: p.id, name: p.name, isDefault: p.isDefault })),
    identityProviders: idps.filter((i) => i.enabled).map((i) => ({ id: i.id, name: i.name, type: i.type })),
    gateways: gws
      .filter((g) => g.enabled)
      .map((g) => ({ id: g.id, name: g.name, type: g.type, userTypes: g.userTypes.map((t) => ({ id: t.id, name: t.name, orderedCorrelationAttributes: t.orderedCorrelationAttributes })) })),
  };
  const action = importUserAction.bind(null, env.id);
  return (
    <>
      <PageHeader title="Import a user" description={`Into the ${env.name} environment, exactly as the import API would.`} crumbs={crumbs} />
      <UserImportForm options={options} action={action} />
    </>
  );
}

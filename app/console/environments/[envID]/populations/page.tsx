import { reach } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment, listPopulations } from "@/lib/environments";
import { orForbidden } from "@/lib/console/errors";
import { PageHeader } from "@/components/console/page-header";
import { ResourceCard, EditDetails } from "@/components/console/resource-table";
import { ResourceForm } from "@/components/console/resource-form";
import { DeleteButton } from "@/components/console/confirm-button";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { createPopulationAction, deletePopulationAction, updatePopulationAction } from "./actions";

export default async function PopulationsPage({ params }: { params: Promise<{ envID: string }> }) {
  const actor = await requireConsoleActor();
  const env = await getEnvironment(actor, (await params).envID);
  const pops = await orForbidden(listPopulations(actor, env.id));
  const canManage = reach(actor, "environment:manage", env.id) !== null;
  const crumbs = [{ href: "/console/environments", label: "Environments" }];
  if (!pops) return (<><PageHeader title="Populations" crumbs={crumbs} /><Alert tone="warning">You hold no role that shows this environment&apos;s populations.</Alert></>);
  const fields = (p?: (typeof pops)[number]) => [
    { name: "name", label: "Name", defaultValue: p?.name, required: true },
    { name: "description", label: "Description", defaultValue: p?.description ?? "" },
    { name: "isDefault", label: "Default population (users sent without a population land here)", type: "checkbox" as const, defaultChecked: p?.isDefault, wide: true },
  ];
  return (
    <>
      <PageHeader title="Populations" description={`Groups of users in ${env.name}. Role assignments can be scoped to one population.`} crumbs={crumbs} />
      <ResourceCard title={`${pops.length} population${pops.length === 1 ? "" : "s"}`}>
        <Table aria-label="Populations">
          <THead>
            <tr>
              <TH>Name</TH>
              <TH>Description</TH>
              <TH>Id</TH>
              {canManage && <TH className="text-right">Actions</TH>}
            </tr>
          </THead>
          <TBody>
            {pops.map((p) => (
              <TR key={p.id}>
                <TD className="font-medium text-slate-900">
                  {p.name} {p.isDefault && <Badge tone="indigo">default</Badge>}
                </TD>
                <TD>{p.description}</TD>
                <TD className="font-mono text-xs text-slate-500">{p.id}</TD>
                {canManage && (
                  <TD className="text-right">
                    <div className="flex items-start justify-end gap-2">
                      <EditDetails summary="Edit">
                        <ResourceForm action={updatePopulationAction.bind(null, env.id, p.id)} fields={fields(p)} submitLabel="Save" pendingLabel="Saving…" />
                      </EditDetails>
                      <DeleteButton action={deletePopulationAction.bind(null, env.id, p.id)} label={`Delete population ${p.name}`} confirmText={`Delete the population ${p.name}?`} />
                    </div>
                  </TD>
                )}
              </TR>
            ))}
          </TBody>
        </Table>
      </ResourceCard>
      {canManage && (
        <ResourceCard title="New population">
          <div className="p-5">
            <ResourceForm action={createPopulationAction.bind(null, env.id)} fields={fields()} submitLabel="Create population" resetOnSuccess pendingLabel="Creating…" testId="create-population" />
          </div>
        </ResourceCard>
      )}
    </>
  );
}

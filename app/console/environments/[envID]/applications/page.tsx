import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment } from "@/lib/environments";
import { listApplications } from "@/lib/applications";
import { orForbidden } from "@/lib/console/errors";
import { PageHeader } from "@/components/console/page-header";
import { EditDetails, ResourceCard } from "@/components/console/resource-table";
import { ResourceForm } from "@/components/console/resource-form";
import { DeleteButton } from "@/components/console/confirm-button";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { createApplicationAction, deleteApplicationAction, rotateSecretAction, updateApplicationAction } from "./actions";

export default async function ApplicationsPage({ params }: { params: Promise<{ envID: string }> }) {
  const actor = await requireConsoleActor();
  const env = await getEnvironment(actor, (await params).envID);
  const apps = await orForbidden(listApplications(actor, env.id));
  const crumbs = [{ href: "/console/environments", label: "Environments" }];
  if (!apps) return (<><PageHeader title="Applications" crumbs={crumbs} /><Alert tone="warning">Only Environment Admins manage worker applications.</Alert></>);
  return (
    <>
      <PageHeader
        title="Worker applications"
        description={`Clients of the API: they get tokens at /${env.id}/as/token with client_credentials. Give them roles under Role assignments.`}
        crumbs={crumbs}
      />
      <ResourceCard title={`${apps.length} application${apps.length === 1 ? "" : "s"}`}>
        <Table aria-label="Applications">
          <THead>
            <tr>
              <TH>Name</TH>
              <TH>Client id</TH>
              <TH>Status</TH>
              <TH className="text-right">Actions</TH>
            </tr>
          </THead>
          <TBody>
            {apps.map((a) => (
              <TR key={a.id}>
                <TD className="font-medium text-slate-900">{a.name}</TD>
                <TD className="font-mono text-xs text-slate-500">{a.id}</TD>
                <TD>{a.enabled ? <Badge tone="green">enabled</Badge> : <Badge>disabled</Badge>}</TD>
                <TD className="text-right">
                  <div className="flex items-start justify-end gap-2">
                    <EditDetails summary="Edit">
                      <ResourceForm
                        action={updateApplicationAction.bind(null, env.id, a.id)}
                        fields={[
                          { name: "name", label: "Name", defaultValue: a.name, required: true },
                          { name: "enabled", label: "Enabled", type: "checkbox", defaultChecked: a.enabled },
                        ]}
                        submitLabel="Save"
                        pendingLabel="Saving…"
                      />
                    </EditDetails>
                    <EditDetails summary="Rotate secret">
                      <ResourceForm action={rotateSecretAction.bind(null, env.id, a.id)} fields={[]} submitLabel="Issue a new secret" pendingLabel="Rotating…" variant="secondary" />
                    </EditDetails>
                    <DeleteButton action={deleteApplicationAction.bind(null, env.id, a.id)} label={`Delete application ${a.name}`} confirmText={`Delete the application ${a.name}? Its tokens stop working within the hour.`} />
                  </div>
                </TD>
              </TR>
            ))}
          </TBody>
        </Table>
      </ResourceCard>
      <ResourceCard title="New worker application" description="The client secret is shown once, right after creation.">
        <div className="p-5">
          <ResourceForm action={createApplicationAction.bind(null, env.id)} fields={[{ name: "name", label: "Name", required: true }]} submitLabel="Create application" resetOnSuccess pendingLabel="Creating…" />
        </div>
      </ResourceCard>
    </>
  );
}

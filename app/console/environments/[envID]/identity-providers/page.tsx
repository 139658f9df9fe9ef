import { reach } from "@/lib/access";
import { IDENTITY_PROVIDER_TYPES } from "@/db/schema";
import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment, listIdentityProviders } from "@/lib/environments";
import { orForbidden } from "@/lib/console/errors";
import { PageHeader } from "@/components/console/page-header";
import { ResourceCard, EditDetails } from "@/components/console/resource-table";
import { ResourceForm } from "@/components/console/resource-form";
import { DeleteButton } from "@/components/console/confirm-button";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { createIdentityProviderAction, deleteIdentityProviderAction, updateIdentityProviderAction } from "./actions";

export default async function IdentityProvidersPage({ params }: { params: Promise<{ envID: string }> }) {
  const actor = await requireConsoleActor();
  const env = await getEnvironment(actor, (await params).envID);
  const idps = await orForbidden(listIdentityProviders(actor, env.id));
  const canManage = reach(actor, "environment:manage", env.id) !== null;
  const crumbs = [{ href: "/console/environments", label: "Environments" }];
  if (!idps) return (<><PageHeader title="Identity providers" crumbs={crumbs} /><Alert tone="warning">You hold no role that shows this environment&apos;s identity providers.</Alert></>);
  const fields = (p?: (typeof idps)[number]) => [
    { name: "name", label: "Name", defaultValue: p?.name, required: true },
    { name: "type", label: "Type", type: "select" as const, defaultValue: p?.type ?? "OPENID_CONNECT", options: IDENTITY_PROVIDER_TYPES.map((t) => ({ value: t, label: t })) },
    { name: "enabled", label: "Enabled", type: "checkbox" as const, defaultChecked: p?.enabled ?? true },
  ];
  return (
    <>
      <PageHeader title="Identity providers" description={`External sign-in for users of ${env.name} (social or enterprise).`} crumbs={crumbs} />
      <ResourceCard title={`${idps.length} identity provider${idps.length === 1 ? "" : "s"}`}>
        <Table aria-label="Identity providers">
          <THead>
            <tr>
              <TH>Name</TH>
              <TH>Type</TH>
              <TH>Status</TH>
              <TH>Id</TH>
              {canManage && <TH className="text-right">Actions</TH>}
            </tr>
          </THead>
          <TBody>
            {idps.map((p) => (
              <TR key={p.id}>
                <TD className="font-medium text-slate-900">{p.name}</TD>
                <TD>{p.type}</TD>
                <TD>{p.enabled ? <Badge tone="green">enabled</Badge> : <Badge>disabled</Badge>}</TD>
                <TD className="font-mono text-xs text-slate-500">{p.id}</TD>
                {canManage && (
                  <TD className="text-right">
                    <div className="flex items-start justify-end gap-2">
                      <EditDetails summary="Edit">
                        <ResourceForm action={updateIdentityProviderAction.bind(null, env.id, p.id)} fields={fields(p)} submitLabel="Save" pendingLabel="Saving…" />
                      </EditDetails>
                      <DeleteButton action={deleteIdentityProviderAction.bind(null, env.id, p.id)} label={`Delete identity provider ${p.name}`} confirmText={`Delete the identity provider ${p.name}?`} />
                    </div>
                  </TD>
                )}
              </TR>
            ))}
          </TBody>
        </Table>
      </ResourceCard>
      {canManage && (
        <ResourceCard title="New identity provider">
          <div className="p-5">
            <ResourceForm action={createIdentityProviderAction.bind(null, env.id)} fields={fields()} submitLabel="Create identity provider" resetOnSuccess pendingLabel="Creating…" />
          </div>
        </ResourceCard>
      )}
    </>
  );
}

import { Network } from "lucide-react";
import { reach } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment, listGateways } from "@/lib/environments";
import { gatewayTypes } from "@/lib/environments/manage";
import { orForbidden } from "@/lib/console/errors";
import { PageHeader, EmptyState } from "@/components/console/page-header";
import { EditDetails, ResourceCard } from "@/components/console/resource-table";
import { ResourceForm } from "@/components/console/resource-form";
import { DeleteButton } from "@/components/console/confirm-button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import {
  createGatewayAction,
  createUserTypeAction,
  deleteGatewayAction,
  deleteUserTypeAction,
  updateGatewayAction,
  updateUserTypeAction,
} from "./actions";

export default async function GatewaysPage({ params }: { params: Promise<{ envID: string }> }) {
  const actor = await requireConsoleActor();
  const env = await getEnvironment(actor, (await params).envID);
  const gws = await orForbidden(listGateways(actor, env.id));
  const canManage = reach(actor, "environment:manage", env.id) !== null;
  const crumbs = [{ href: "/console/environments", label: "Environments" }];
  if (!gws) return (<><PageHeader title="Gateways" crumbs={crumbs} /><Alert tone="warning">You hold no role that shows this environment&apos;s gateways.</Alert></>);
  const gwFields = (g?: (typeof gws)[number]) => [
    { name: "name", label: "Name", defaultValue: g?.name, required: true },
    { name: "type", label: "Type", type: "select" as const, defaultValue: g?.type ?? "LDAP", options: gatewayTypes.map((t) => ({ value: t, label: t })) },
    { name: "enabled", label: "Enabled", type: "checkbox" as const, defaultChecked: g?.enabled ?? true },
  ];
  const utFields = (t?: (typeof gws)[number]["userTypes"][number]) => [
    { name: "name", label: "User type name", defaultValue: t?.name, required: true },
    { name: "orderedCorrelationAttributes", label: "Link attributes, in order", defaultValue: t?.orderedCorrelationAttributes.join(", "), hint: "Comma-separated, e.g. uid, mail", required: true },
    {
      name: "passwordAuthority",
      label: "Password authority",
      type: "select" as const,
      defaultValue: t?.passwordAuthority ?? "LDAP",
      options: [
        { value: "LDAP", label: "LDAP (the directory checks passwords)" },
        { value: "PING_ONE", label: "PING_ONE (migrate on first sign-in)" },
      ],
    },
  ];
  return (
    <>
      <PageHeader title="Gateways" description={`Directories that keep checking passwords for users of ${env.name}; each user type names the attributes that link a user to its directory entry.`} crumbs={crumbs} />
      {gws.length === 0 && <EmptyState title="No gateways" />}
      <div className="space-y-6">
        {gws.map((g) => (
          <Card key={g.id}>
            <CardHeader className="flex-row items-start justify-between gap-4">
              <div>
                <CardTitle className="flex items-center gap-2">
                  <Network className="h-4 w-4 text-slate-400" aria-hidden /> {g.name} <Badge>{g.type}</Badge>
                  {g.enabled ? <Badge tone="green">enabled</Badge> : <Badge>disabled</Badge>}
                </CardTitle>
                <p className="mt-1 font-mono text-xs text-slate-400">{g.id}</p>
              </div>
              {canManage && (
                <div className="flex items-start gap-2">
                  <EditDetails summary="Edit">
                    <ResourceForm action={updateGatewayAction.bind(null, env.id, g.id)} fields={gwFields(g)} submitLabel="Save" pendingLabel="Saving…" />
                  </EditDetails>
                  <DeleteButton action={deleteGatewayAction.bind(null, env.id, g.id)} label={`Delete gateway ${g.name}`} confirmText={`Delete the gateway ${g.name} and its user types?`} />
                </div>
              )}
            </CardHeader>
            <CardContent className="p-0">
              <Table aria-label={`User types of ${g.name}`}>
                <THead>
                  <tr>
                    <TH>User type</TH>
                    <TH>Link attributes</TH>
                    <TH>Password authority</TH>
                    {canManage && <TH className="text-right">Actions</TH>}
                  </tr>
                </THead>
                <TBody>
                  {g.userTypes.map((t) => (
                    <TR key={t.id}>
                      <TD className="font-medium text-slate-900">{t.name}</TD>
                      <TD>
                        <div className="flex flex-wrap gap-1">
                          {t.orderedCorrelationAttributes.map((a) => (
                            <Badge key={a} tone="indigo" className="font-mono">
                              {a}
                            </Badge>
                          ))}
                        </div>
                      </TD>
                      <TD>{t.passwordAuthority}</TD>
                      {canManage && (
                        <TD className="text-right">
                          <div className="flex items-start justify-end gap-2">
                            <EditDetails summary="Edit">
                              <ResourceForm action={updateUserTypeAction.bind(null, env.id, g.id, t.id)} fields={utFields(t)} submitLabel="Save" pendingLabel="Saving…" />
                            </EditDetails>
                            <DeleteButton action={deleteUserTypeAction.bind(null, env.id, g.id, t.id)} label={`Delete user type ${t.name}`} confirmText={`Delete the user type ${t.name}?`} />
                          </div>
                        </TD>
                      )}
                    </TR>
                  ))}
                </TBody>
              </Table>
              {canManage && (
                <div className="border-t border-slate-100 p-5">
                  <EditDetails summary="Add a user type">
                    <ResourceForm action={createUserTypeAction.bind(null, env.id, g.id)} fields={utFields()} submitLabel="Add user type" resetOnSuccess pendingLabel="Adding…" />
                  </EditDetails>
                </div>
              )}
            </CardContent>
          </Card>
        ))}
      </div>
      {canManage && (
        <div className="mt-6">
          <ResourceCard title="New gateway">
            <div className="p-5">
              <ResourceForm action={createGatewayAction.bind(null, env.id)} fields={gwFields()} submitLabel="Create gateway" resetOnSuccess pendingLabel="Creating…" />
            </div>
          </ResourceCard>
        </div>
      )}
    </>
  );
}

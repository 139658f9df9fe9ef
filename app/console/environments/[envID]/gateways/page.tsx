import { Network } from "lucide-react";
import { reach } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment, listPopulations } from "@/lib/environments";
import { listGateways } from "@/lib/gateways/manage";
import { GATEWAY_TYPES, GATEWAY_VENDORS } from "@/lib/gateways/schema";
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
  testConnectionAction,
  updateGatewayAction,
  updateUserTypeAction,
} from "./actions";
import { ConnectionTest } from "./connection-test";

export default async function GatewaysPage({ params }: { params: Promise<{ envID: string }> }) {
  const actor = await requireConsoleActor();
  const env = await getEnvironment(actor, (await params).envID);
  const gws = await orForbidden(listGateways(actor, env.id));
  const canManage = reach(actor, "environment:manage", env.id) !== null;
  const crumbs = [{ href: "/console/environments", label: "Environments" }];
  if (!gws) return (<><PageHeader title="Gateways" crumbs={crumbs} /><Alert tone="warning">You hold no role that shows this environment&apos;s gateways.</Alert></>);
  const pops = canManage ? await listPopulations(actor, env.id) : [];
  type Gw = (typeof gws)[number];
  const gwFields = (g?: Gw) => [
    { name: "name", label: "Name", defaultValue: g?.name, required: true },
    { name: "type", label: "Type", type: "select" as const, defaultValue: g?.type ?? "LDAP", options: GATEWAY_TYPES.map((t) => ({ value: t, label: t })) },
    { name: "description", label: "Description", defaultValue: g?.description ?? "" },
    { name: "vendor", label: "Directory vendor", type: "select" as const, defaultValue: g?.vendor ?? "", options: [{ value: "", label: "(not said)" }, ...GATEWAY_VENDORS.map((v) => ({ value: v, label: v }))] },
    { name: "servers", label: "Servers, in order", type: "textarea" as const, defaultValue: g?.servers.join("\n"), hint: "host:port, one per line; the next is tried when one cannot be reached.", wide: true },
    { name: "bindDN", label: "Bind DN (service account)", defaultValue: g?.bindDn ?? "", hint: "e.g. cn=svc,dc=example,dc=com" },
    { name: "bindPassword", label: "Bind password", type: "password" as const, hint: g?.hasBindPassword ? "A password is stored: leave empty to keep it." : "Stored encrypted; never shown again." },
    {
      name: "connectionSecurity",
      label: "Connection security",
      type: "select" as const,
      defaultValue: g?.connectionSecurity ?? "None",
      options: [
        { value: "None", label: "None (ldap://)" },
        { value: "TLS", label: "TLS (ldaps://)" },
        { value: "StartTLS", label: "StartTLS" },
      ],
    },
    { name: "validateTlsCertificates", label: "Validate TLS certificates", type: "checkbox" as const, defaultChecked: g?.validateTlsCertificates ?? true },
    { name: "enabled", label: "Enabled", type: "checkbox" as const, defaultChecked: g?.enabled ?? true },
  ];
  const utFields = (t?: Gw["userTypes"][number]) => [
    { name: "name", label: "User type name", defaultValue: t?.name, required: true },
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
    { name: "searchBaseDn", label: "Search base DN", defaultValue: t?.searchBaseDn ?? "", hint: "e.g. ou=people,dc=example,dc=com" },
    { name: "orderedCorrelationAttributes", label: "Link attributes, in order", defaultValue: t?.orderedCorrelationAttributes.join(", "), hint: "Comma-separated, e.g. uid, mail", required: true },
    { name: "allowPasswordChanges", label: "Allow password changes (written to the directory)", type: "checkbox" as const, defaultChecked: t?.allowPasswordChanges ?? false },
    { name: "updateUserOnSuccessfulAuthentication", label: "Refresh mapped attributes at each sign-in", type: "checkbox" as const, defaultChecked: t?.updateUserOnSuccessfulAuthentication ?? false },
    { name: "ldapFilterPattern", label: "New user lookup filter", defaultValue: t?.newUserLookup?.ldapFilterPattern ?? "", hint: "e.g. (objectClass=inetOrgPerson)" },
    { name: "population", label: "Population for new users", type: "select" as const, defaultValue: t?.newUserLookup?.populationId ?? "", options: [{ value: "", label: "(none)" }, ...pops.map((p) => ({ value: p.id, label: p.name }))] },
    {
      name: "attributeMappings",
      label: "Attribute mappings",
      type: "textarea" as const,
      defaultValue: t?.newUserLookup?.attributeMappings.map((m) => `${m.name}=${m.value}`).join("\n") ?? "",
      hint: "One per line: username=${ldapAttributes.uid}",
      wide: true,
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
                {g.type === "LDAP" && (
                  <p className="mt-1 text-sm text-slate-600">
                    {g.servers.length ? g.servers.join(", ") : "No servers yet"} · {g.connectionSecurity}
                    {g.bindDn ? ` · bound as ${g.bindDn}` : ""}
                  </p>
                )}
              </div>
              {canManage && (
                <div className="flex items-start gap-2">
                  {g.type === "LDAP" && <ConnectionTest action={testConnectionAction.bind(null, env.id, g.id)} name={g.name} />}
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
                    <TH>Base DN</TH>
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
                      <TD>
                        {t.passwordAuthority}
                        {t.allowPasswordChanges ? " · changes allowed" : ""}
                      </TD>
                      <TD className="font-mono text-xs">{t.searchBaseDn ?? "—"}</TD>
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

import { ROLES } from "@/db/schema";
import { ROLE_LABELS, reach } from "@/lib/access";
import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment, listEnvironments, listPopulations } from "@/lib/environments";
import { listApplications } from "@/lib/applications";
import { listRoleAssignments } from "@/lib/roles/assignments";
import { listUsers } from "@/lib/users/queries";
import { orForbidden } from "@/lib/console/errors";
import { PageHeader } from "@/components/console/page-header";
import { ResourceCard } from "@/components/console/resource-table";
import { ResourceForm } from "@/components/console/resource-form";
import { DeleteButton } from "@/components/console/confirm-button";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";
import { createRoleAssignmentAction, deleteRoleAssignmentAction } from "./actions";


export default async function RoleAssignmentsPage({ params }: { params: Promise<{ envID: string }> }) {
  const actor = await requireConsoleActor();
  const env = await getEnvironment(actor, (await params).envID);
  const assignments = await orForbidden(listRoleAssignments(actor, env.id));
  const crumbs = [{ href: "/console/environments", label: "Environments" }];
  if (!assignments) return (<><PageHeader title="Role assignments" crumbs={crumbs} /><Alert tone="warning">Only Environment Admins manage role assignments.</Alert></>);

  const [apps, users, envs] = await Promise.all([
    listApplications(actor, env.id),
    listUsers(actor, env.id, { limit: 200 }),
    listEnvironments(actor),
  ]);
  // Scopes: the organization, and every environment and population the actor may manage.
  const orgId = actor.assignments.find((a) => a.scopeType === "ORGANIZATION")?.scopeId;
  const scopeOptions: { value: string; label: string; group?: string }[] = [];
  if (orgId) scopeOptions.push({ value: `ORGANIZATION:${orgId}`, label: "Whole organization" });
  for (const e of envs) {
    if (!reach(actor, "environment:read", e.id)) continue;
    scopeOptions.push({ value: `ENVIRONMENT:${e.id}`, label: `Environment ${e.name}`, group: e.name });
    const pops = await listPopulations(actor, e.id);
    for (const p of pops) scopeOptions.push({ value: `POPULATION:${p.id}`, label: `Population ${p.name}`, group: e.name });
  }
  const subjectOptions = [
    ...users.users.map((u) => ({ value: `USER:${u.id}`, label: u.username, group: "Users" })),
    ...apps.map((a) => ({ value: `APPLICATION:${a.id}`, label: a.name, group: "Applications" })),
  ];
  return (
    <>
      <PageHeader
        title="Role assignments"
        description={`Roles held by users and applications of ${env.name}. You can grant or remove only a role whose permissions you hold yourself, over the same or a wider scope. Environment Admin applies to a whole environment or the organization, never to one population.`}
        crumbs={crumbs}
      />
      <ResourceCard title={`${assignments.length} assignment${assignments.length === 1 ? "" : "s"}`}>
        <Table aria-label="Role assignments">
          <THead>
            <tr>
              <TH>Subject</TH>
              <TH>Role</TH>
              <TH>Scope</TH>
              <TH className="text-right">Actions</TH>
            </tr>
          </THead>
          <TBody>
            {assignments.map((a) => (
              <TR key={a.id}>
                <TD className="font-medium text-slate-900">
                  {a.subject.name} <Badge>{a.subject.type === "USER" ? "user" : "application"}</Badge>
                </TD>
                <TD>
                  <Badge tone="indigo">{ROLE_LABELS[a.role]}</Badge>
                </TD>
                <TD>
                  <span className="text-slate-500">{a.scope.type.toLowerCase()}</span> {a.scope.name}
                </TD>
                <TD className="text-right">
                  <DeleteButton action={deleteRoleAssignmentAction.bind(null, env.id, a.id)} label={`Remove ${ROLE_LABELS[a.role]} from ${a.subject.name}`} confirmText={`Remove ${ROLE_LABELS[a.role]} from ${a.subject.name}?`} />
                </TD>
              </TR>
            ))}
          </TBody>
        </Table>
      </ResourceCard>
      <ResourceCard title="Assign a role">
        <div className="p-5">
          <ResourceForm
            action={createRoleAssignmentAction.bind(null, env.id)}
            fields={[
              { name: "subject", label: "User or application", type: "select", options: subjectOptions, required: true },
              { name: "role", label: "Role", type: "select", options: ROLES.map((r) => ({ value: r, label: ROLE_LABELS[r] })), required: true },
              { name: "scope", label: "Scope", type: "select", options: scopeOptions, required: true, wide: true },
            ]}
            submitLabel="Assign role"
            pendingLabel="Assigning…"
          />
        </div>
      </ResourceCard>
    </>
  );
}

import { requireConsoleActor } from "@/lib/auth/console";
import { getEnvironment } from "@/lib/environments";
import { getUserDetails } from "@/lib/users/details";
import { orNotFound } from "@/lib/console/errors";
import { PageHeader } from "@/components/console/page-header";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Badge } from "@/components/ui/badge";
import { Alert } from "@/components/ui/alert";
import { reach, reaches } from "@/lib/access";
import { UserPasswordActions } from "@/components/user-password-actions";
import { forcePasswordChangeAction, resendVerificationAction, setPasswordAction } from "./password-actions";
import { deleteUserAction, moveUserAction, setUserEnabledAction, updateUserAction } from "./actions";
import { listPopulations } from "@/lib/environments";
import { ResourceForm, type FieldSpec } from "@/components/console/resource-form";
import { DeleteButton } from "@/components/console/confirm-button";

function Row({ label, value }: { label: string; value: React.ReactNode }) {
  const empty = value === undefined || value === null || value === "";
  return (
    <div className="grid grid-cols-3 gap-4 py-2 text-sm">
      <dt className="text-slate-500">{label}</dt>
      <dd className="col-span-2 break-words text-slate-900">{empty ? <span className="text-slate-400">—</span> : value}</dd>
    </div>
  );
}

const yesNo = (b: boolean | undefined) => (b ? "Yes" : "No");

export default async function UserPage({
  params,
  searchParams,
}: {
  params: Promise<{ envID: string; userID: string }>;
  searchParams: Promise<{ notice?: string }>;
}) {
  const actor = await requireConsoleActor();
  const { envID, userID } = await params;
  const { notice } = await searchParams;
  const env = await orNotFound(getEnvironment(actor, envID));
  const d = await orNotFound(getUserDetails(actor, env.id, userID));
  const u = d.resource as typeof d.resource & {
    name?: Record<string, string>;
    address?: Record<string, string>;
    photo?: { href?: string };
    [k: string]: unknown;
  };
  const s = (k: string) => (typeof u[k] === "string" ? (u[k] as string) : undefined);
  const base = `/console/environments/${env.id}/users`;
  // Convenience only: every action checks role, scope and the user's own roles again.
  const writeReach = reach(actor, "users:write", env.id);
  const canWrite = reaches(writeReach, u.population.id);
  const moveTargets = canWrite ? (await listPopulations(actor, env.id)).filter((p) => reaches(writeReach, p.id)) : [];
  const editFields: FieldSpec[] = [
    { name: "username", label: "Username", defaultValue: u.username, required: true },
    { name: "email", label: "Email", defaultValue: u.email ?? "" },
    { name: "name.given", label: "Given name", defaultValue: u.name?.given ?? "" },
    { name: "name.family", label: "Family name", defaultValue: u.name?.family ?? "" },
    { name: "nickname", label: "Nickname", defaultValue: s("nickname") ?? "" },
    { name: "title", label: "Title", defaultValue: s("title") ?? "" },
    { name: "primaryPhone", label: "Primary phone", defaultValue: s("primaryPhone") ?? "" },
    { name: "mobilePhone", label: "Mobile phone", defaultValue: s("mobilePhone") ?? "" },
    { name: "locale", label: "Locale", defaultValue: s("locale") ?? "" },
    { name: "externalId", label: "External id", defaultValue: s("externalId") ?? "" },
  ];
  return (
    <>
      <PageHeader
        title={u.username}
        description={u.email ?? "No email"}
        crumbs={[
          { href: "/console/environments", label: "Environments" },
          { href: base, label: `${env.name} · Users` },
        ]}
      />
      {notice === "imported" && (
        <Alert tone="success" className="mb-6" title="User imported">
          {u.username} was imported into {d.populationName}.
        </Alert>
      )}
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Identity</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="divide-y divide-slate-100">
              <Row label="User id" value={<span className="font-mono text-xs">{u.id}</span>} />
              <Row label="Username" value={u.username} />
              <Row label="Email" value={u.email} />
              <Row label="Population" value={d.populationName} />
              <Row label="External id" value={s("externalId")} />
              <Row label="Created" value={u.createdAt} />
              <Row label="Updated" value={u.updatedAt} />
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Lifecycle and verification</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="divide-y divide-slate-100">
              <Row label="Lifecycle status" value={<Badge tone={u.lifecycle.status === "ACCOUNT_OK" ? "green" : "amber"}>{u.lifecycle.status}</Badge>} />
              <Row label="Enabled" value={yesNo(u.enabled)} />
              <Row label="Email verified" value={yesNo(u.emailVerified)} />
              <Row label="MFA enabled" value={yesNo(u.mfaEnabled)} />
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Password</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="divide-y divide-slate-100">
              <Row label="Status" value={<Badge tone={d.password.status === "OK" ? "green" : d.password.status === "NO_PASSWORD" ? "slate" : "amber"}>{d.password.status}</Badge>} />
              <Row label="Last changed" value={d.password.changedAt?.toISOString()} />
              {d.password.external && (
                <>
                  <Row label="Gateway" value={d.password.external.gatewayName} />
                  <Row label="User type" value={d.password.external.userTypeName} />
                  {Object.entries(d.password.external.correlationAttributes).map(([k, v]) => (
                    <Row key={k} label={`Link: ${k}`} value={v} />
                  ))}
                </>
              )}
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>Identity provider</CardTitle>
          </CardHeader>
          <CardContent>
            <dl className="divide-y divide-slate-100">
              <Row label="Type" value={u.identityProvider.type} />
              <Row label="Name" value={d.identityProviderName ?? (u.identityProvider.type === "PING_ONE" ? "Local (PingOne)" : undefined)} />
            </dl>
          </CardContent>
        </Card>
        {reaches(reach(actor, "users:write", env.id), u.population.id) && u.identityProvider.type === "PING_ONE" && (
          <Card className="lg:col-span-2">
            <CardHeader>
              <CardTitle>Password and verification actions</CardTitle>
            </CardHeader>
            <CardContent>
              <UserPasswordActions
                resendVerification={resendVerificationAction.bind(null, env.id, u.id)}
                forcePasswordChange={forcePasswordChangeAction.bind(null, env.id, u.id)}
                setPassword={setPasswordAction.bind(null, env.id, u.id)}
                hasEmail={!!u.email}
                passwordStatus={d.password.status}
              />
            </CardContent>
          </Card>
        )}
        {canWrite && (
          <Card className="lg:col-span-2" data-testid="user-manage">
            <CardHeader>
              <CardTitle>Edit user</CardTitle>
            </CardHeader>
            <CardContent className="space-y-8">
              <ResourceForm action={updateUserAction.bind(null, env.id, u.id)} fields={editFields} submitLabel="Save changes" pendingLabel="Saving…" testId="edit-user" />
              <div className="grid gap-8 border-t border-slate-100 pt-6 sm:grid-cols-3">
                <ResourceForm
                  action={moveUserAction.bind(null, env.id, u.id)}
                  fields={[{ name: "population", label: "Move to population", type: "select", defaultValue: u.population.id, options: moveTargets.map((p) => ({ value: p.id, label: p.name })) }]}
                  submitLabel="Move"
                  pendingLabel="Moving…"
                  variant="secondary"
                  testId="move-user"
                />
                <ResourceForm
                  action={setUserEnabledAction.bind(null, env.id, u.id, !u.enabled)}
                  fields={[]}
                  submitLabel={u.enabled ? "Disable user" : "Enable user"}
                  pendingLabel="Saving…"
                  variant="secondary"
                  testId="enable-user"
                />
                <div>
                  <DeleteButton action={deleteUserAction.bind(null, env.id, u.id)} label={`Delete user ${u.username}`} confirmText={`Delete the user ${u.username}? This cannot be undone; the audit trail stays.`} />
                </div>
              </div>
            </CardContent>
          </Card>
        )}
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle>Profile</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-x-8 sm:grid-cols-2">
            <dl className="divide-y divide-slate-100">
              <Row label="Given name" value={u.name?.given} />
              <Row label="Middle name" value={u.name?.middle} />
              <Row label="Family name" value={u.name?.family} />
              <Row label="Formatted name" value={u.name?.formatted} />
              <Row label="Honorific prefix" value={u.name?.honorificPrefix} />
              <Row label="Honorific suffix" value={u.name?.honorificSuffix} />
              <Row label="Nickname" value={s("nickname")} />
              <Row label="Title" value={s("title")} />
              <Row label="Photo" value={u.photo?.href} />
            </dl>
            <dl className="divide-y divide-slate-100">
              <Row label="Locale" value={s("locale")} />
              <Row label="Preferred language" value={s("preferredLanguage")} />
              <Row label="Time zone" value={s("timezone")} />
              <Row label="Primary phone" value={s("primaryPhone")} />
              <Row label="Mobile phone" value={s("mobilePhone")} />
              <Row label="Street address" value={u.address?.streetAddress} />
              <Row label="Locality" value={u.address?.locality} />
              <Row label="Region" value={u.address?.region} />
              <Row label="Postal code" value={u.address?.postalCode} />
              <Row label="Country" value={u.address?.countryCode} />
            </dl>
          </CardContent>
        </Card>
      </div>
    </>
  );
}

import { requireConsoleActor } from "@/lib/auth/console";
import { orNotFound } from "@/lib/console/errors";
import { getMailboxMessage } from "@/lib/verification/mailbox";
import { PageHeader } from "@/components/console/page-header";
import { Badge } from "@/components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";

export const dynamic = "force-dynamic";

/**
 * One outgoing message. The text body is shown as text (React escapes it); the HTML body only
 * inside a fully sandboxed iframe (no scripts, no same origin, no forms, no navigation), so a
 * message's markup can neither run nor reach the console.
 */
export default async function MailboxMessagePage({ params }: { params: Promise<{ messageID: string }> }) {
  const actor = await requireConsoleActor();
  const { messageID } = await params;
  const m = await orNotFound(getMailboxMessage(actor, messageID));
  return (
    <>
      <PageHeader title={m.subject} description={`To ${m.toAddress}`} crumbs={[{ href: "/console/mailbox", label: "Mailbox" }]} />
      <dl className="mb-6 grid gap-2 text-sm sm:grid-cols-4">
        <div>
          <dt className="text-slate-500">Status</dt>
          <dd>
            <Badge tone={m.status === "SENT" ? "green" : m.status === "FAILED" ? "red" : "amber"}>{m.status}</Badge>
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">Environment</dt>
          <dd>{m.environmentName}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Created</dt>
          <dd className="text-xs">{m.createdAt.toISOString()}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Delivery attempts</dt>
          <dd>
            {m.attempts}
            {m.lastError && <span className="ml-2 text-xs text-slate-500">last error: {m.lastError}</span>}
          </dd>
        </div>
      </dl>
      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader>
            <CardTitle>Text</CardTitle>
          </CardHeader>
          <CardContent>
            <pre className="whitespace-pre-wrap break-words font-mono text-sm text-slate-800" data-testid="mail-text">
              {m.textBody}
            </pre>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle>HTML</CardTitle>
          </CardHeader>
          <CardContent>
            {m.htmlBody ? (
              <iframe title="HTML body of the message" sandbox="" srcDoc={m.htmlBody} referrerPolicy="no-referrer" className="h-80 w-full rounded border border-slate-200 bg-white" data-testid="mail-html" />
            ) : (
              <p className="text-sm text-slate-500">No HTML body is kept for this message.</p>
            )}
          </CardContent>
        </Card>
      </div>
    </>
  );
}

import Link from "next/link";
import { requireConsoleActor } from "@/lib/auth/console";
import { listMailbox } from "@/lib/verification/mailbox";
import { EmptyState, PageHeader } from "@/components/console/page-header";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Table, TBody, TD, TH, THead, TR } from "@/components/ui/table";

export const dynamic = "force-dynamic";

const tone = (status: string) => (status === "SENT" ? "green" : status === "FAILED" ? "red" : "amber") as "green" | "red" | "amber";

/**
 * The development mailbox (spec 4): outgoing email as written to the outbox. Without SMTP_URL
 * this is where verification codes are read; with it, delivered messages keep no body.
 */
export default async function MailboxPage() {
  const actor = await requireConsoleActor();
  const messages = await listMailbox(actor, { limit: 200 });
  const smtp = !!process.env.SMTP_URL;
  return (
    <>
      <PageHeader title="Mailbox" description="Email the product sends (verification codes), newest first. You see messages of users you may manage." />
      <Alert tone="info" className="mb-6">
        {smtp
          ? "SMTP delivery is configured (SMTP_URL): messages are sent and their bodies discarded once the SMTP server accepts them."
          : "No SMTP server is configured (SMTP_URL): messages stay here, undelivered. Open one to read it."}
      </Alert>
      {messages.length === 0 ? (
        <EmptyState title="No messages">Import a user with lifecycle status VERIFICATION_REQUIRED and an email address, or resend a verification code.</EmptyState>
      ) : (
        <Table>
          <THead>
            <TR>
              <TH>To</TH>
              <TH>Subject</TH>
              <TH>User</TH>
              <TH>Environment</TH>
              <TH>Status</TH>
              <TH>Created</TH>
            </TR>
          </THead>
          <TBody>
            {messages.map((m) => (
              <TR key={m.id}>
                <TD>
                  <Link href={`/console/mailbox/${m.id}`} className="font-medium text-indigo-700 hover:underline">
                    {m.toAddress}
                  </Link>
                </TD>
                <TD>{m.subject}</TD>
                <TD>
                  {m.userId && m.username ? (
                    <Link href={`/console/environments/${m.environmentId}/users/${m.userId}`} className="hover:underline">
                      {m.username}
                    </Link>
                  ) : (
                    "—"
                  )}
                </TD>
                <TD>{m.environmentName}</TD>
                <TD>
                  <Badge tone={tone(m.status)}>{m.status}</Badge>
                  {m.status !== "SENT" && m.attempts > 0 && <span className="ml-2 text-xs text-slate-500">{m.attempts} attempt(s)</span>}
                </TD>
                <TD className="whitespace-nowrap text-xs text-slate-500">{m.createdAt.toISOString()}</TD>
              </TR>
            ))}
          </TBody>
        </Table>
      )}
    </>
  );
}

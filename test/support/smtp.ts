/**
 * A real SMTP peer for the verification-mail tests: the `smtp-server` package on a loopback
 * port, recording every message it accepts. It can be created before it listens (a peer that
 * is "down": connections are refused) and started later on the same port.
 */
import { SMTPServer } from "smtp-server";
import { freePort } from "./server";

export type ReceivedMail = { to: string[]; raw: string };

export type SmtpPeer = {
  port: number;
  url: string;
  messages: ReceivedMail[];
  start: () => Promise<void>;
  stop: () => Promise<void>;
  /** Resolves once at least n messages have arrived (or rejects after timeoutMs). */
  waitFor: (n: number, timeoutMs?: number) => Promise<ReceivedMail[]>;
};

export async function smtpPeer(opts: { listen?: boolean } = {}): Promise<SmtpPeer> {
  const port = await freePort();
  const messages: ReceivedMail[] = [];
  let server: SMTPServer | null = null;
  const peer: SmtpPeer = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    start: async () => {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ["STARTTLS"],
        logger: false,
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("end", () => {
            messages.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString("utf8") });
            callback();
          });
        },
      });
      await new Promise<void>((resolve, reject) => {
        server!.once("error", reject);
        server!.listen(port, "127.0.0.1", () => resolve());
      });
    },
    stop: async () => {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    waitFor: async (n, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`expected ${n} message(s), got ${messages.length}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return messages;
    },
  };
  if (opts.listen !== false) await peer.start();
  return peer;
}

/** The verification code in a received message's text part (the line that holds only the code). */
export function codeFrom(raw: string): string {
  const m = raw.match(/^ {4}([A-Z0-9]{8})\s*$/m);
  if (!m) throw new Error("no verification code in the message");
  return m[1]!;
}

/** The Message-ID header of a received message. */
export function messageIdOf(raw: string): string | undefined {
  return raw.match(/^Message-ID:\s*(<[^>]+>)/im)?.[1];
}

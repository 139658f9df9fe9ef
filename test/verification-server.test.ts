/**
 * The verification email through the production server (spec 4): the outbox sender runs in the
 * server process and delivers over SMTP (SMTP_URL) to a real SMTP peer started here. The server
 * is killed (SIGKILL) after the import committed but before any delivery was possible (the
 * peer is down), and after a restart the message arrives exactly once and its code verifies
 * the user. On PostgreSQL the server runs two workers, each with its own sender, polling the
 * same outbox. Also: an administrator imported with a legacy hash signs in to the console.
 */
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "./support/fresh-db";
import { SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";
import { codeFrom, messageIdOf, smtpPeer, type SmtpPeer } from "./support/smtp";
import { tokenFrom } from "./support/tokens";

type Vector = { form: string; encoded: string; password: string };
const vectors = (JSON.parse(fs.readFileSync(path.resolve(__dirname, "../../shared/vectors/passwords.json"), "utf8")) as { vectors: Vector[] }).vectors;

const ids = {
  ADMIN_ENV_ID: "0a000000-0000-4000-8000-0000000000a1",
  DEMO_ENV_ID: "0d000000-0000-4000-8000-0000000000d2",
  WORKER_CLIENT_ID: "0c000000-0000-4000-8000-0000000000c3",
  WORKER_CLIENT_SECRET: "srv-worker-" + randomBytes(8).toString("hex"),
  ADMIN_USERNAME: "admin",
  ADMIN_PASSWORD: "srv-admin-" + randomBytes(8).toString("hex"),
};

let env: Record<string, string | undefined>;
let db: FreshDb;
let peer: SmtpPeer;
let server: RunningServer | undefined;

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first (with the same NEXT_DIST_DIR): `npm test` does it.");
  peer = await smtpPeer({ listen: false });
  const common = {
    ...ids,
    LOG_LEVEL: "info",
    SMTP_URL: peer.url,
    OUTBOX_POLL_MS: "200",
    OUTBOX_RETRY_BASE_MS: "200",
    OUTBOX_RETRY_MAX_MS: "1000",
    OUTBOX_LEASE_MS: "5000",
  };
  db = await freshDatabase({ prefix: "mail" });
  env = { ...common, ...db.env, ...(db.driver === "postgres" ? { WEB_CONCURRENCY: "2" } : {}) };
});
afterAll(async () => {
  await server?.stop();
  await peer?.stop();
  await db?.drop();
});

const token = (base: string) => tokenFrom(base, ids.ADMIN_ENV_ID, ids.WORKER_CLIENT_ID, ids.WORKER_CLIENT_SECRET);

async function until(what: string, ok: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("verification email through the production server", () => {
  const users: { id: string; email: string }[] = [];

  it("keeps the committed email through a SIGKILL, delivers it after restart exactly once, and its code verifies the user", async () => {
    server = await startServer(env);
    const base = server.url;
    const auth = { authorization: `Bearer ${await token(base)}` };
    const pops = (await (await fetch(`${base}/environments/${ids.DEMO_ENV_ID}/populations`, { headers: auth })).json()) as {
      _embedded: { populations: { id: string; name: string }[] };
    };
    const populationId = pops._embedded.populations.find((p) => p.name === "Default")!.id;

    for (let i = 0; i < 3; i++) {
      const username = `mail-${i}-${randomBytes(3).toString("hex")}`;
      const res = await fetch(`${base}/environments/${ids.DEMO_ENV_ID}/users`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/vnd.pingidentity.user.import+json" },
        body: JSON.stringify({ username, email: `${username}@example.com`, population: { id: populationId }, lifecycle: { status: "VERIFICATION_REQUIRED" } }),
      });
      expect(res.status).toBe(201);
      const user = (await res.json()) as { id: string; email: string };
      users.push({ id: user.id, email: user.email });
    }
    // The sender has tried and failed (the peer refuses connections): the rows are committed and pending.
    await until("a failed delivery attempt", () => /email delivery failed/.test(server!.output()));
    expect(peer.messages).toHaveLength(0);

    await server.stop("SIGKILL");
    server = undefined;
    await peer.start();
    server = await startServer(env);

    await peer.waitFor(users.length, 60_000);
    for (const u of users) {
      const mine = peer.messages.filter((m) => m.to.includes(u.email));
      expect(mine, u.email).toHaveLength(1);
      const code = codeFrom(mine[0]!.raw);
      const res = await fetch(`${server.url}/environments/${ids.DEMO_ENV_ID}/users/${u.id}`, {
        method: "POST",
        headers: { authorization: `Bearer ${await token(server.url)}`, "content-type": "application/vnd.pingidentity.user.verify+json" },
        body: JSON.stringify({ verificationCode: code }),
      });
      const body = (await res.json()) as { lifecycle: { status: string }; emailVerified: boolean };
      expect(res.status).toBe(200);
      expect(body.lifecycle.status).toBe("ACCOUNT_OK");
      expect(body.emailVerified).toBe(true);
      // The code went to the peer only: never into the server's log.
      expect(server.output()).not.toContain(code);
    }
    const messageIds = peer.messages.map((m) => messageIdOf(m.raw));
    expect(new Set(messageIds).size).toBe(messageIds.length);

    // A resend through the restarted server is delivered too, once; nothing else arrives.
    const resend = await fetch(`${server.url}/environments/${ids.DEMO_ENV_ID}/users/${users[0]!.id}`, {
      method: "POST",
      headers: { authorization: `Bearer ${await token(server.url)}`, "content-type": "application/vnd.pingidentity.user.sendVerificationCode+json" },
    });
    expect(resend.status).toBe(204);
    await peer.waitFor(users.length + 1, 60_000);
    const sentLines = () => server!.output().split("\n").filter((l) => l.includes('"msg":"email sent"')).length;
    await until("the sender to log the resend", () => sentLines() >= users.length + 1);
    expect(peer.messages).toHaveLength(users.length + 1);
    expect(peer.messages.filter((m) => m.to.includes(users[0]!.email))).toHaveLength(2);
  });
});

/** name=value pairs of a response's Set-Cookie headers, merged into a jar. */
function keepCookies(jar: Map<string, string>, res: Response) {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(";");
    const i = pair!.indexOf("=");
    const name = pair!.slice(0, i).trim();
    const value = pair!.slice(i + 1).trim();
    if (value) jar.set(name, value);
    else jar.delete(name);
  }
}
const cookieHeader = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");

/** Console sign-in over HTTP, through Auth.js's own Credentials callback, as the login form does it. */
async function consoleSignIn(base: string, username: string, password: string): Promise<Map<string, string> | null> {
  const jar = new Map<string, string>();
  const csrf = await fetch(`${base}/api/auth/csrf`);
  keepCookies(jar, csrf);
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const res = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader(jar) },
    body: new URLSearchParams({ csrfToken, username, password, callbackUrl: `${base}/console` }),
  });
  keepCookies(jar, res);
  return [...jar.keys()].some((k) => k.includes("authjs.session-token")) ? jar : null;
}

describe("console sign-in with an imported legacy hash", () => {
  it("lets an administrator imported with a {SSHA} hash sign in, before and after its upgrade to argon2id", async () => {
    expect(server, "the server of the previous test").toBeDefined();
    const base = server!.url;
    const root = await consoleSignIn(base, ids.ADMIN_USERNAME, ids.ADMIN_PASSWORD);
    expect(root, "the first administrator signs in").not.toBeNull();
    const asRoot = { cookie: cookieHeader(root!) };
    const pops = (await (await fetch(`${base}/environments/${ids.ADMIN_ENV_ID}/populations`, { headers: asRoot })).json()) as {
      _embedded: { populations: { id: string }[] };
    };
    const v = vectors.find((x) => x.form === "{SSHA}")!;
    const username = `legacy-admin-${randomBytes(3).toString("hex")}`;
    const imported = await fetch(`${base}/environments/${ids.ADMIN_ENV_ID}/users`, {
      method: "POST",
      headers: { ...asRoot, "content-type": "application/vnd.pingidentity.user.import+json" },
      body: JSON.stringify({ username, population: { id: pops._embedded.populations[0]!.id }, password: { value: v.encoded } }),
    });
    expect(imported.status).toBe(201);
    const userId = ((await imported.json()) as { id: string }).id;

    expect(await consoleSignIn(base, username, v.password + "!"), "a wrong password is refused").toBeNull();
    const legacy = await consoleSignIn(base, username, v.password);
    expect(legacy, "the legacy-hash administrator signs in").not.toBeNull();
    const page = await fetch(`${base}/console/environments`, { headers: { cookie: cookieHeader(legacy!) }, redirect: "manual" });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(username);

    // Sign-in has upgraded the stored {SSHA} to argon2id; Check Password and sign-in still accept it.
    const checked = await fetch(`${base}/environments/${ids.ADMIN_ENV_ID}/users/${userId}/password`, {
      method: "POST",
      headers: { ...asRoot, "content-type": "application/vnd.pingidentity.password.check+json" },
      body: JSON.stringify({ password: v.password }),
    });
    expect(checked.status).toBe(200);
    expect(await consoleSignIn(base, username, v.password)).not.toBeNull();
  });
});

describe("the console mailbox, without SMTP (the embedded default)", () => {
  it("keeps the message in the outbox, shows it on /console/mailbox, and the code read there verifies the user", async () => {
    await server?.stop();
    server = await startServer({ ...env, SMTP_URL: undefined });
    const base = server.url;
    const auth = { authorization: `Bearer ${await token(base)}` };
    const pops = (await (await fetch(`${base}/environments/${ids.DEMO_ENV_ID}/populations`, { headers: auth })).json()) as {
      _embedded: { populations: { id: string; name: string }[] };
    };
    const username = `mailbox-${randomBytes(3).toString("hex")}`;
    const res = await fetch(`${base}/environments/${ids.DEMO_ENV_ID}/users`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/vnd.pingidentity.user.import+json" },
      body: JSON.stringify({
        username,
        email: `${username}@example.com`,
        population: { id: pops._embedded.populations.find((p) => p.name === "Default")!.id },
        lifecycle: { status: "VERIFICATION_REQUIRED" },
      }),
    });
    expect(res.status).toBe(201);
    const userId = ((await res.json()) as { id: string }).id;
    const delivered = peer.messages.length;

    const root = await consoleSignIn(base, ids.ADMIN_USERNAME, ids.ADMIN_PASSWORD);
    const asRoot = { cookie: cookieHeader(root!) };
    const list = await fetch(`${base}/console/mailbox`, { headers: asRoot, redirect: "manual" });
    expect(list.status).toBe(200);
    const listHtml = await list.text();
    expect(listHtml).toContain(`${username}@example.com`);
    const link = listHtml.match(new RegExp(`href="(/console/mailbox/[0-9a-f-]{36})"[^>]*>${username}@example.com<`))?.[1];
    expect(link, "a link to the message").toBeTruthy();

    const page = await fetch(`${base}${link}`, { headers: asRoot, redirect: "manual" });
    expect(page.status).toBe(200);
    const html = await page.text();
    const text = html.match(/<pre[^>]*data-testid="mail-text"[^>]*>([\s\S]*?)<\/pre>/)?.[1];
    const code = text?.match(/^ {4}([A-Z0-9]{8})$/m)?.[1];
    expect(code, "the code in the text body").toBeTruthy();
    // The HTML body is only inside a sandboxed iframe's srcdoc, escaped: never live markup of the page.
    expect(html).toMatch(/<iframe[^>]*sandbox=""[^>]*srcDoc="|<iframe[^>]*srcDoc="[^"]*"[^>]*sandbox=""/i);
    expect(html).not.toContain("<strong data-verification-code");

    // Signed out, the mailbox is not readable.
    const anonymous = await fetch(`${base}${link}`, { redirect: "manual" });
    expect(anonymous.status).not.toBe(200);

    const verified = await fetch(`${base}/environments/${ids.DEMO_ENV_ID}/users/${userId}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/vnd.pingidentity.user.verify+json" },
      body: JSON.stringify({ verificationCode: code }),
    });
    expect(verified.status).toBe(200);
    // Nothing went out by SMTP.
    expect(peer.messages).toHaveLength(delivered);
  });
});

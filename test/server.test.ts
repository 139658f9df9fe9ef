/**
 * The production server as an operator runs it (`npm run build`, then the server bundle):
 * first start prints the credentials once and they work over real HTTP; a restart reuses the
 * data and prints only the URL; /v1 paths answer; non-API pages still come from Next.js.
 * On PostgreSQL the server runs two workers, as on a two-core machine.
 */
import fs from "node:fs";
import http from "node:http";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, type FreshDb } from "./support/fresh-db";
import { SERVER_BUNDLE, startServer, type RunningServer } from "./support/server";

let db: FreshDb;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BUNDLE)) throw new Error("Run `npm run build` first: `npm test` does it.");
  db = await freshDatabase({ prefix: "srv" });
  env = { ...db.env, ...(db.driver === "postgres" ? { WEB_CONCURRENCY: "2" } : {}) };
});
afterAll(async () => db?.drop());

describe("production server", () => {
  let first: RunningServer | undefined;
  let creds: { tokenPath: string; clientId: string; secret: string; demoEnv: string } | undefined;
  afterAll(async () => first?.stop());

  it("prints the credentials once on first start, and they work end to end", async () => {
    first = await startServer({ ...env, LOG_LEVEL: "silent" });
    const out = first.output();
    const grab = (label: string) => out.match(new RegExp(`${label}:\\s+(\\S+)`))?.[1];
    const clientId = grab("Client id");
    const secret = grab("Client secret");
    const tokenEndpoint = grab("Token endpoint");
    const demoEnv = grab("Demo env id");
    expect(grab("Administrator")).toBe("admin");
    expect(grab("Password")).toMatch(/^\S{12,}$/);
    expect(clientId && secret && tokenEndpoint && demoEnv).toBeTruthy();
    expect(out).toContain("curl");

    const local = (u: string) => u.replace(/^http:\/\/localhost:\d+/, first!.url);
    creds = { tokenPath: new URL(tokenEndpoint!).pathname, clientId: clientId!, secret: secret!, demoEnv: demoEnv! };
    const tokenRes = await fetch(local(tokenEndpoint!), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId!, client_secret: secret! }),
    });
    expect(tokenRes.status).toBe(200);
    const { access_token } = (await tokenRes.json()) as { access_token: string };

    const pops = (await (await fetch(`${first.url}/v1/environments/${demoEnv}/populations`, { headers: { authorization: `Bearer ${access_token}` } })).json()) as {
      _embedded: { populations: { id: string; name: string; default: boolean }[] };
    };
    const contractors = pops._embedded.populations.find((p) => p.name === "Contractors")!;
    const res = await fetch(`${first.url}/v1/environments/${demoEnv}/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${access_token}`, "content-type": "application/vnd.pingidentity.user.import+json; charset=utf-8" },
      body: JSON.stringify({ username: "grace", email: "grace@example.com", population: { id: contractors.id }, password: { value: "$2y$06$fN3yVklgLQMmTssVkpg3V.Gfo9jwfOsWg8/STcbvVjM9GBL.biIxa" } }),
    });
    const user = (await res.json()) as { id: string; _links: { self: { href: string } } };
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(user._links.self.href);
    expect(user._links.self.href).toContain("/v1/environments/");

    const back = await fetch(`${first.url}/environments/${demoEnv}/users/${user.id}`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(back.status).toBe(200);
    expect(JSON.stringify(await back.json())).not.toContain("$2y$");

    // Concurrent imports of one username through every worker: exactly one wins.
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        fetch(`${first!.url}/environments/${demoEnv}/users`, {
          method: "POST",
          headers: { authorization: `Bearer ${access_token}`, "content-type": "application/vnd.pingidentity.user.import+json" },
          body: JSON.stringify({ username: i % 2 ? "RACER" : "racer", population: { id: contractors.id } }),
        }).then((r) => r.status),
      ),
    );
    expect(results.filter((s) => s === 201)).toHaveLength(1);
    expect(results.filter((s) => s === 400)).toHaveLength(15);

    // Pages other than the API still come from Next.js.
    const home = await fetch(`${first.url}/`);
    expect(home.status).toBe(200);
    expect(await home.text()).toContain("identity-import");
    // Whichever worker takes the connection (on PostgreSQL a lean worker hands pages to the one
    // holding Next.js), a page comes whole from Next.js, with its cookies and security headers.
    const pages = await Promise.all(Array.from({ length: 8 }, () => getOverNewConnection(`${first!.url}/login`)));
    for (const page of pages) {
      expect(page.status).toBe(200);
      expect(page.headers["content-type"]).toMatch(/^text\/html/);
      expect(page.headers["content-security-policy"]).toBeTruthy();
      expect(page.body).toContain("</html>");
    }
    // The API answers unknown methods without reaching Next.js.
    expect((await fetch(`${first.url}/environments/${demoEnv}/users`, { method: "DELETE" })).status).toBe(405);
  });

  it("reuses the data on a later start and prints only the URL", async () => {
    await first!.stop();
    const second = await startServer({ ...env, LOG_LEVEL: "silent" });
    try {
      const out = second.output();
      expect(out).toContain("identity-import ready on");
      expect(out).not.toContain("Client secret");
      expect(out).not.toContain("Password:");
      const unknown = await fetch(`${second.url}/${randomUUID()}/as/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "grant_type=client_credentials&client_id=x&client_secret=y",
      });
      expect(unknown.status).toBe(401);
      // The same worker credentials still work, and the user imported before the restart is there.
      const tokenRes = await fetch(second.url + creds!.tokenPath, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: "Basic " + Buffer.from(`${creds!.clientId}:${creds!.secret}`).toString("base64"),
        },
        body: "grant_type=client_credentials",
      });
      expect(tokenRes.status).toBe(200);
      const { access_token } = (await tokenRes.json()) as { access_token: string };
      const list = await fetch(`${second.url}/environments/${creds!.demoEnv}/users?filter=${encodeURIComponent('username eq "GRACE"')}`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      const body = (await list.json()) as { _embedded: { users: { username: string }[] } };
      expect(body._embedded.users.map((u) => u.username)).toEqual(["grace"]);
    } finally {
      await second.stop();
    }
  });
});

/** A GET on a connection of its own, so that the cluster may hand it to any worker. */
function getOverNewConnection(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on("error", reject);
  });
}

import "server-only";
import { decode } from "next-auth/jwt";
import type { Actor } from "@/lib/access";
import { forbidden, unauthenticated } from "@/lib/api/errors";
import { actorFromBearer } from "./tokens";
import { noteRequest } from "@/lib/api/request-notes";
import { consoleSessionSecret } from "./signing-key";
import { currentAdministrator } from "./sign-in";

// Auth.js's session cookie names: "__Secure-" on HTTPS; a large token is split into ".0", ".1", ...
const SESSION_COOKIES = ["__Secure-authjs.session-token", "authjs.session-token"];

function parseCookies(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of header?.split(";") ?? []) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    if (!out.has(name)) out.set(name, part.slice(i + 1).trim());
  }
  return out;
}

function sessionToken(cookies: Map<string, string>): { name: string; value: string } | null {
  for (const name of SESSION_COOKIES) {
    const whole = cookies.get(name);
    if (whole) return { name, value: whole };
    const chunks: string[] = [];
    for (let i = 0; cookies.has(`${name}.${i}`); i++) chunks.push(cookies.get(`${name}.${i}`)!);
    if (chunks.length) return { name, value: chunks.join("") };
  }
  return null;
}

/**
 * The actor behind an API request: a bearer token first (worker applications), else a console
 * session cookie, decoded with Auth.js's own JWT helper so that it works in the Node server as
 * well as under Next.js. A session's role assignments are re-read from the database, so a
 * revoked role stops working at once. Plain standard Request: usable outside Next.
 */
export async function actorFromRequest(req: Request): Promise<Actor> {
  if (req.headers.has("authorization")) return actorFromBearer(req);
  const token = sessionToken(parseCookies(req.headers.get("cookie")));
  if (!token) throw unauthenticated();
  let sub: string | undefined;
  let sid: string | undefined;
  try {
    const payload = await decode({ token: token.value, secret: await consoleSessionSecret(), salt: token.name });
    sub = typeof payload?.sub === "string" ? payload.sub : undefined;
    sid = typeof payload?.sid === "string" ? payload.sid : undefined;
  } catch {
    sub = undefined;
  }
  if (!sub) throw unauthenticated("The console session is invalid or has expired: sign in again.");
  // The session cookie is SameSite=Lax; refuse a cross-origin write outright as well.
  if (req.method !== "GET" && req.method !== "HEAD") {
    const origin = req.headers.get("origin");
    if (origin && new URL(origin).host !== (req.headers.get("x-forwarded-host") ?? req.headers.get("host") ?? new URL(req.url).host)) {
      throw forbidden("Cross-origin requests cannot use a console session.");
    }
  }
  const admin = await currentAdministrator(sub, sid);
  if (!admin) throw unauthenticated("The console session is invalid or has expired: sign in again.");
  noteRequest(req, { actor: { type: "USER", id: admin.id } });
  return { type: "USER", id: admin.id, assignments: admin.assignments, via: "CONSOLE" };
}

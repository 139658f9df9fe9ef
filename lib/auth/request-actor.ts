import "server-only";
import { getToken } from "next-auth/jwt";
import type { Actor } from "@/lib/access";
import { forbidden, unauthenticated } from "@/lib/api/errors";
import { publicOrigin, trustProxy } from "@/lib/api/http";
import { actorFromBearer } from "./tokens";
import { noteRequest } from "@/lib/api/request-notes";
import { consoleSessionSecret } from "./signing-key";
import { currentAdministrator } from "./sign-in";

/**
 * The actor behind an API request: a bearer token first (worker applications), else a console
 * session cookie, read by Auth.js's own `getToken` (its cookie names, chunking and salt), so
 * that it works in the Node server as well as under Next.js. A session's role assignments are
 * re-read from the database, so a revoked role stops working at once. Plain standard Request:
 * usable outside Next.
 */
export async function actorFromRequest(req: Request): Promise<Actor> {
  if (req.headers.has("authorization")) return actorFromBearer(req);
  if (!req.headers.get("cookie")) throw unauthenticated();
  const secret = await consoleSessionSecret();
  // "__Secure-authjs.session-token" on HTTPS, "authjs.session-token" otherwise: try both, as
  // the request may have reached us through a TLS-terminating proxy.
  const payload = (await getToken({ req, secret, secureCookie: true })) ?? (await getToken({ req, secret, secureCookie: false }));
  const sub = typeof payload?.sub === "string" ? payload.sub : undefined;
  const sid = typeof payload?.sid === "string" ? payload.sid : undefined;
  if (!sub) throw unauthenticated("The console session is invalid or has expired: sign in again.");
  // The session cookie is SameSite=Lax; refuse a cross-origin write outright as well.
  if (req.method !== "GET" && req.method !== "HEAD" && !sameOrigin(req)) {
    throw forbidden("Cross-origin requests cannot use a console session.");
  }
  const admin = await currentAdministrator(sub, sid);
  if (!admin) throw unauthenticated("The console session is invalid or has expired: sign in again.");
  noteRequest(req, { actor: { type: "USER", id: admin.id } });
  return { type: "USER", id: admin.id, assignments: admin.assignments, via: "CONSOLE" };
}

/**
 * Whether a write carrying a console cookie comes from the console's own pages: no Origin (not
 * a browser's cross-origin request), or an Origin naming the host the browser reached (Host, or
 * X-Forwarded-Host under TRUST_PROXY) or PUBLIC_URL. `Origin: null` and malformed values are
 * refused (security review F12), never an error.
 */
function sameOrigin(req: Request): boolean {
  const origin = req.headers.get("origin");
  if (origin === null) return true;
  if (!URL.canParse(origin)) return false;
  const host = new URL(origin).host;
  const reached = (trustProxy() ? req.headers.get("x-forwarded-host")?.split(",")[0]?.trim() : undefined) || req.headers.get("host") || new URL(req.url).host;
  return host === reached || host === new URL(publicOrigin(req)).host;
}

import { NextResponse, type NextRequest } from "next/server";
import { consoleCsp } from "./lib/server/security-headers";

/**
 * The console's Content-Security-Policy, with a fresh nonce for every page request. Next reads
 * the nonce from the request's policy header and puts it on its inline bootstrap scripts
 * (every console page renders dynamically: the root layout reads the request's headers). The
 * API's paths never come here (matcher below): their policy allows no script at all.
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const csp = consoleCsp(nonce);
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  return response;
}

export const config = {
  // Everything but the API's paths (lib/server/security-headers.ts API_PATH_SOURCES) and Next's
  // static files.
  matcher: ["/((?!environments(?:/|$)|roles(?:/|$)|healthz$|readyz$|openapi\\.json$|v1(?:/|$)|[^/]+/as/|_next/static/|_next/image|favicon\\.ico$).*)"],
};

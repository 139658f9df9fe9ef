/**
 * Security headers of every response: the API's (set by `route()`, lib/api/http.ts, on every
 * API handler's answer, and by next.config.ts `headers()` on what Next itself answers on an API
 * path) and the console's (next.config.ts `headers()`). One list, so that all agree.
 *
 * The console's Content-Security-Policy runs only scripts from our origin and those carrying the
 * request's nonce (`'strict-dynamic'` lets them load Next's chunks): proxy.ts makes a fresh nonce
 * for every console request and Next puts it on its inline bootstrap scripts. An injected
 * `<script>` has no nonce and does not run. Styles may be inline (React `style` attributes and
 * Next's own style tags): a style cannot run code, and everything else is held to our origin.
 * No page may be framed (clickjacking).
 */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export function consoleCsp(nonce: string, dev = process.env.NODE_ENV === "development"): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const COMMON_SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

export const API_SECURITY_HEADERS: Record<string, string> = { ...COMMON_SECURITY_HEADERS, "content-security-policy": API_CSP };

/**
 * The API's paths, as next.config.ts `headers()` sources: these get the API's headers (the
 * probes, the OpenAPI document, the token endpoints, /v1), every other path the console's.
 */
export const API_PATH_SOURCES = [
  "/environments",
  "/environments/:path*",
  "/roles",
  "/roles/:path*",
  "/healthz",
  "/readyz",
  "/openapi.json",
  "/v1",
  "/v1/:path*",
  "/:envID/as/:path*",
];

/** Sent only when the request reached us over HTTPS (a TLS-terminating proxy says so). */
export const HSTS = "max-age=63072000; includeSubDomains";

/** Whether the request came over HTTPS, as the proxy in front reports it. */
export function isHttps(forwardedProto: string | null | undefined): boolean {
  return forwardedProto?.split(",")[0]?.trim().toLowerCase() === "https";
}

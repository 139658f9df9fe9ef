import type { NextConfig } from "next";
import { API_PATH_SOURCES, API_SECURITY_HEADERS, COMMON_SECURITY_HEADERS, HSTS } from "./lib/server/security-headers";

const nextConfig: NextConfig = {
  // Native and wasm packages load files next to themselves: keep them out of the bundle.
  serverExternalPackages: ["@electric-sql/pglite", "argon2", "postgres", "rate-limiter-flexible", "ioredis"],
  poweredByHeader: false,
  // A separate build folder per checkout or worker (e.g. NEXT_DIST_DIR=.next-e2e); default .next.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // Type checking is `npm run typecheck` (run by CI over the whole project, tests included);
  // the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  // Security headers of every response Next.js itself makes: the common ones everywhere, the
  // API's on the API's paths (later rules win), so that Next's own redirects and 404s there
  // carry them too (API handlers set the same through route()); HSTS only when a
  // TLS-terminating proxy says the request was HTTPS. The console's Content-Security-Policy
  // carries a fresh nonce per request, so proxy.ts sets it.
  async headers() {
    const list = (h: Record<string, string>) => Object.entries(h).map(([key, value]) => ({ key, value }));
    return [
      { source: "/:path*", headers: list(COMMON_SECURITY_HEADERS) },
      ...API_PATH_SOURCES.map((source) => ({ source, headers: list(API_SECURITY_HEADERS) })),
      { source: "/:path*", has: [{ type: "header", key: "x-forwarded-proto", value: "https" }], headers: [{ key: "strict-transport-security", value: HSTS }] },
    ];
  },
  async rewrites() {
    // PingOne clients use a base URL ending in /v1: the same routes answer there. The one list
    // of rewrites: the production server's fast path applies these, read from Next's build.
    return {
      beforeFiles: [
        { source: "/v1/environments", destination: "/environments" },
        { source: "/v1/environments/:path*", destination: "/environments/:path*" },
        { source: "/v1/roles", destination: "/roles" },
      ],
      afterFiles: [],
      fallback: [],
    };
  },
};

export default nextConfig;

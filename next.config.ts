import type { NextConfig } from "next";
import { COMMON_SECURITY_HEADERS, consoleCsp, HSTS } from "./lib/server/security-headers";

const nextConfig: NextConfig = {
  // Native and wasm packages load files next to themselves: keep them out of the bundle.
  serverExternalPackages: ["@electric-sql/pglite", "argon2", "postgres", "rate-limiter-flexible", "ioredis"],
  poweredByHeader: false,
  // A separate build folder per checkout or worker (e.g. NEXT_DIST_DIR=.next-e2e); default .next.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // Type checking is `npm run typecheck` (run by CI over the whole project, tests included);
  // the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  // Security headers of every page and asset Next.js serves (the API fast path sets its own,
  // from the same list); HSTS only when a TLS-terminating proxy says the request was HTTPS.
  async headers() {
    const common = Object.entries({ ...COMMON_SECURITY_HEADERS, "content-security-policy": consoleCsp() }).map(([key, value]) => ({ key, value }));
    return [
      { source: "/:path*", headers: common },
      { source: "/:path*", has: [{ type: "header", key: "x-forwarded-proto", value: "https" }], headers: [{ key: "strict-transport-security", value: HSTS }] },
    ];
  },
  async rewrites() {
    // PingOne clients use a base URL ending in /v1: the same routes answer there.
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

import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // Native and wasm packages load files next to themselves: keep them out of the bundle.
  serverExternalPackages: ["@electric-sql/pglite", "argon2", "postgres"],
  poweredByHeader: false,
  // A separate build folder per checkout or worker (e.g. NEXT_DIST_DIR=.next-e2e); default .next.
  distDir: process.env.NEXT_DIST_DIR || ".next",
  // Type checking is `npm run typecheck` (run by CI over the whole project, tests included);
  // the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
  async rewrites() {
    // PingOne clients use a base URL ending in /v1: the same routes answer there.
    return {
      beforeFiles: [
        { source: "/v1/environments", destination: "/environments" },
        { source: "/v1/environments/:path*", destination: "/environments/:path*" },
      ],
      afterFiles: [],
      fallback: [],
    };
  },
};

export default nextConfig;

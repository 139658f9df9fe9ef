import { defineConfig } from "vitest/config";
import path from "node:path";

const drivers = ["pglite", ...(process.env.TEST_DATABASE_URL ? ["postgres"] : [])];

// The suites that start the production server bundle (`npm run build` first); the other
// contract suites go through the same dispatcher in-process (test/support/app.ts).
const SERVER_SUITES = [
  "test/operations.test.ts",
  "test/server.test.ts",
  "test/scale-out.test.ts",
  "test/bulk-server.test.ts",
  "test/verification-server.test.ts",
  "test/security-paths.test.ts",
  "test/router-parity.test.ts",
  "test/security-console.test.ts",
  "test/cli.test.ts",
  "test/gateway-server.test.ts",
  "test/db-outage.test.ts",
  "test/undo-server.test.ts",
  "test/directory-server.test.ts",
  "test/job-wake-server.test.ts",
];

// Server suites that measure how fast the server answers while it works: they run last, one
// file at a time, after every other suite has finished, so that other suites' load does not
// stand in for the server's own.
const QUIET_SUITES = ["test/password-checks-server.test.ts"];

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname),
      // `server-only` throws outside the react-server condition; tests call server modules directly.
      "server-only": path.resolve(import.meta.dirname, "test/support/server-only-stub.ts"),
    },
  },
  test: {
    pool: "forks",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true as const,
        test: { name: "unit", include: ["lib/**/*.test.ts"] },
      },
      // The HTTP contract suites run once per database driver, each file on a fresh database:
      // in-process (`<driver>`, what `npm run test:fast` runs on PGlite), and against the built
      // server (`<driver>-server`).
      ...drivers.flatMap((driver, i) => [
        {
          extends: true as const,
          test: { name: driver, include: ["test/**/*.test.ts"], exclude: [...SERVER_SUITES, ...QUIET_SUITES], env: { TEST_DRIVER: driver }, globalSetup: ["test/support/route-table-setup.ts"] },
        },
        {
          extends: true as const,
          test: { name: `${driver}-server`, include: SERVER_SUITES, env: { TEST_DRIVER: driver } },
        },
        {
          extends: true as const,
          test: { name: `${driver}-quiet`, include: QUIET_SUITES, env: { TEST_DRIVER: driver }, fileParallelism: false, sequence: { groupOrder: 1 + i } },
        },
      ]),
    ],
  },
});

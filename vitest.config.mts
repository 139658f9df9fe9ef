import { defineConfig } from "vitest/config";
import path from "node:path";

const drivers = ["pglite", ...(process.env.TEST_DATABASE_URL ? ["postgres"] : [])];

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
      // The HTTP contract suites run once per database driver, each file on a fresh database.
      ...drivers.map((driver) => ({
        extends: true as const,
        test: { name: driver, include: ["test/**/*.test.ts"], env: { TEST_DRIVER: driver } },
      })),
    ],
  },
});

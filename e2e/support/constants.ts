import path from "node:path";

/** Fixed first-start values of the e2e server (playwright.config.ts) and the admins the setup adds. */
export const E2E = {
  adminEnvId: "0a000000-0000-4000-8000-0000000000e1",
  demoEnvId: "0d000000-0000-4000-8000-0000000000e2",
  workerId: "0c000000-0000-4000-8000-0000000000e3",
  workerSecret: "e2e-worker-secret-not-for-production",
  admin: { username: "admin", password: "e2e-Admin-password-1" },
  /** Identity Data Admin over the Demo environment's Contractors population; imported with a legacy {SSHA} hash. */
  popAdmin: { username: "contractor-admin", password: "e2e-Contractors-pass-2" },
  /** Identity Data Read Only over the whole Demo environment. */
  readOnly: { username: "auditor", password: "e2e-ReadOnly-pass-3" },
} as const;

export type Role = "envAdmin" | "popAdmin" | "readOnly";

export const CREDENTIALS: Record<Role, { username: string; password: string }> = {
  envAdmin: E2E.admin,
  popAdmin: E2E.popAdmin,
  readOnly: E2E.readOnly,
};

/** Where the setup project saves each role's signed-in browser state (playwright.config.ts sets E2E_AUTH_DIR). */
export function authStateFile(role: Role): string {
  const dir = process.env.E2E_AUTH_DIR;
  if (!dir) throw new Error("E2E_AUTH_DIR is not set: run the browser tests through playwright.config.ts");
  return path.join(dir, `${role}.json`);
}

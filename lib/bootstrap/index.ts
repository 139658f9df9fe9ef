import "server-only";
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { getDb } from "@/db";
import { organizations, settings, users } from "@/db/schema";
import {
  insertApplication,
  insertEnvironment,
  insertIdentityProvider,
  insertPopulation,
  insertRoleAssignment,
} from "@/lib/environments";
import { insertGateway } from "@/lib/gateways/manage";
import { isUuid, uuidv7 } from "@/lib/ids";
import { hashPassword } from "@/lib/passwords";
import { storedPasswordColumns } from "@/lib/users/stored-password";

export type BootstrapResult = {
  created: boolean;
  adminEnvironmentId?: string;
  demoEnvironmentId?: string;
  demoDefaultPopulationId?: string;
  adminUsername?: string;
  adminPassword?: string;
  workerClientId?: string;
  workerClientSecret?: string;
  /** Which of the two secrets the operator supplied (ADMIN_PASSWORD, WORKER_CLIENT_SECRET): never printed. */
  adminPasswordSupplied?: boolean;
  workerSecretSupplied?: boolean;
};

const BOOTSTRAP_LOCK = 727_172_002;

/** settings key holding the id of the administrators' environment. */
export const ADMIN_ENVIRONMENT_SETTING = "admin_environment_id";

function idFromEnv(name: string): string | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  if (!isUuid(v)) throw new Error(`${name} must be a UUID`);
  return v.toLowerCase();
}

/**
 * First start on an empty database: the administrators' environment with the first
 * administrator and a worker application, and a demo environment to import into. Runs in one
 * transaction under an advisory lock, so several instances starting together create it once.
 * Later starts find the organization and change nothing.
 */
export async function bootstrap(): Promise<BootstrapResult> {
  const db = await getDb();
  const adminPassword = process.env.ADMIN_PASSWORD || randomBytes(15).toString("base64url");
  const workerSecret = process.env.WORKER_CLIENT_SECRET || randomBytes(32).toString("base64url");
  // Hash outside the transaction: argon2 is slow and the lock should be held briefly.
  const adminHash = await hashPassword(adminPassword);

  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${BOOTSTRAP_LOCK})`);
    const existing = await tx.select({ id: organizations.id }).from(organizations).limit(1);
    if (existing.length) return { created: false };

    const organizationId = uuidv7();
    await tx.insert(organizations).values({ id: organizationId, name: "Organization" });

    const adminEnvironmentId = await insertEnvironment(tx, {
      id: idFromEnv("ADMIN_ENV_ID"),
      organizationId,
      name: "Administrators",
      description: "Console administrators and worker applications.",
    });
    const adminPopulationId = await insertPopulation(tx, { environmentId: adminEnvironmentId, name: "Administrators", isDefault: true });
    // Console sign-in (lib/auth/sign-in.ts) looks administrators up in this environment only.
    await tx.insert(settings).values({ key: ADMIN_ENVIRONMENT_SETTING, value: adminEnvironmentId });
    const adminUsername = process.env.ADMIN_USERNAME || "admin";
    const adminId = uuidv7();
    await tx.insert(users).values({
      id: adminId,
      environmentId: adminEnvironmentId,
      populationId: adminPopulationId,
      username: adminUsername,
      ...storedPasswordColumns(adminHash),
      passwordStatus: "OK",
      passwordChangedAt: new Date(),
    });
    await insertRoleAssignment(tx, {
      role: "ENVIRONMENT_ADMIN",
      subject: { userId: adminId },
      scopeType: "ORGANIZATION",
      scopeId: organizationId,
      scopeEnvironmentId: null,
    });

    const demoEnvironmentId = await insertEnvironment(tx, {
      id: idFromEnv("DEMO_ENV_ID"),
      organizationId,
      name: "Demo",
      description: "A demo environment to import users into.",
    });
    const demoDefaultPopulationId = await insertPopulation(tx, { environmentId: demoEnvironmentId, name: "Default", isDefault: true });
    await insertPopulation(tx, { environmentId: demoEnvironmentId, name: "Contractors" });
    await insertIdentityProvider(tx, { environmentId: demoEnvironmentId, type: "GOOGLE", name: "Google" });
    await insertGateway(tx, {
      environmentId: demoEnvironmentId,
      type: "LDAP",
      name: "Corporate LDAP",
      userTypes: [{ name: "Employees", orderedCorrelationAttributes: ["uid", "mail", "employeeNumber"], passwordAuthority: "LDAP" }],
    });

    const worker = await insertApplication(tx, {
      id: idFromEnv("WORKER_CLIENT_ID"),
      environmentId: adminEnvironmentId,
      name: "Import worker",
      secret: workerSecret,
    });
    await insertRoleAssignment(tx, {
      role: "IDENTITY_DATA_ADMIN",
      subject: { applicationId: worker.id },
      scopeType: "ENVIRONMENT",
      scopeId: demoEnvironmentId,
      scopeEnvironmentId: demoEnvironmentId,
    });

    return {
      created: true,
      adminEnvironmentId,
      demoEnvironmentId,
      demoDefaultPopulationId,
      adminUsername,
      adminPassword,
      workerClientId: worker.id,
      workerClientSecret: worker.secret,
      adminPasswordSupplied: !!process.env.ADMIN_PASSWORD,
      workerSecretSupplied: !!process.env.WORKER_CLIENT_SECRET,
    };
  });
}

/**
 * The one-time banner: the only place the generated credentials ever appear. A secret the
 * operator supplied is never printed (the log may be kept for years): the banner names the
 * variable it came from instead (finding F11).
 */
export function firstStartBanner(r: BootstrapResult, baseUrl: string): string {
  const password = r.adminPasswordSupplied ? "(as set in ADMIN_PASSWORD)" : r.adminPassword;
  const secret = r.workerSecretSupplied ? "(as set in WORKER_CLIENT_SECRET)" : r.workerClientSecret;
  const secretInCurl = r.workerSecretSupplied ? "$WORKER_CLIENT_SECRET" : r.workerClientSecret;
  return [
    "",
    "identity-import: first start, database initialised.",
    "",
    `  Console:        ${baseUrl}/console`,
    `  Administrator:  ${r.adminUsername}`,
    `  Password:       ${password}`,
    "",
    `  Worker application (Identity Data Admin on the Demo environment):`,
    `  Client id:      ${r.workerClientId}`,
    `  Client secret:  ${secret}`,
    `  Token endpoint: ${baseUrl}/${r.adminEnvironmentId}/as/token`,
    `  Demo env id:    ${r.demoEnvironmentId}`,
    "",
    r.adminPasswordSupplied && r.workerSecretSupplied ? "  Try it:" : "  These credentials are shown once. Try it:",
    "",
    `  TOKEN=$(curl -s -u "${r.workerClientId}:${secretInCurl}" \\`,
    `    -d grant_type=client_credentials ${baseUrl}/${r.adminEnvironmentId}/as/token | sed -E 's/.*"access_token":"([^"]+)".*/\\1/')`,
    `  curl -s -X POST ${baseUrl}/environments/${r.demoEnvironmentId}/users \\`,
    `    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/vnd.pingidentity.user.import+json' \\`,
    `    -d '{"username":"ada","email":"ada@example.com","population":{"id":"${r.demoDefaultPopulationId}"}}'`,
    "",
  ].join("\n");
}

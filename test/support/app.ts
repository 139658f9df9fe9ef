/**
 * A fresh database per test file, migrated and bootstrapped exactly as `npm start` does it,
 * and an HTTP client that hands real Request objects to the production server's own
 * dispatcher (lib/server/dispatch.ts), routing by Next's route table from the last build
 * (`npm run build`; route handlers are loaded from source, so only a new or renamed route needs
 * a rebuild). The driver comes from the Vitest project: PGlite (in memory) or PostgreSQL (a new
 * database on TEST_DATABASE_URL, dropped afterwards).
 */
import path from "node:path";
import { randomBytes } from "node:crypto";
import { count, eq } from "drizzle-orm";
import type { RoleName } from "@/db/schema";
import { createDispatcher, type RouteModule } from "@/lib/server/dispatch";
import { readRouteTable, NEXT_ONLY_ROUTES } from "@/lib/server/route-table";
import { freshDatabase, testDriver } from "./fresh-db";

const ROOT = path.resolve(__dirname, "../..");

export const FIXED = {
  adminEnvId: "0a000000-0000-4000-8000-000000000001",
  demoEnvId: "0d000000-0000-4000-8000-000000000002",
  workerId: "0c000000-0000-4000-8000-000000000003",
  workerSecret: "test-worker-secret-" + randomBytes(8).toString("hex"),
  adminUsername: "root-admin",
  adminPassword: "admin-password-" + randomBytes(8).toString("hex"),
};


/** One role assignment for a test worker application (spec 6). */
export type TestAssignment =
  | { role: RoleName; scope: "ORGANIZATION" }
  | { role: RoleName; scope: "ENVIRONMENT"; environmentId: string }
  | { role: RoleName; scope: "POPULATION"; environmentId: string; populationId: string };

/** Ids of what bootstrap made in the demo environment, read back through the list APIs. */
export type DemoRefs = {
  defaultPopulationId: string;
  contractorsPopulationId: string;
  googleIdpId: string;
  gatewayId: string;
  userTypeId: string;
  correlationAttributes: string[];
};

export type TestApp = {
  driver: "pglite" | "postgres";
  base: string;
  fetch: (p: string, init?: RequestInit) => Promise<Response>;
  token: (clientId?: string, secret?: string) => Promise<string>;
  /** A new worker application in the admin environment holding exactly these assignments. */
  createWorker: (assignments: TestAssignment[], name?: string) => Promise<{ id: string; secret: string }>;
  /** createWorker, then a bearer token for it from the real token endpoint. */
  tokenFor: (assignments: TestAssignment[]) => Promise<string>;
  organizationId: () => Promise<string>;
  refs: () => Promise<DemoRefs>;
  /** Rows in the users table, read directly (optionally of one environment). */
  countUsers: (environmentId?: string) => Promise<number>;
  /** The stored password columns of one user, read directly: they never appear over HTTP. */
  passwordRow: (userId: string) => Promise<{ passwordHash: string | null; passwordStatus: string; externalPassword: unknown } | undefined>;
  close: () => Promise<void>;
};

let dispatcher: ReturnType<typeof createDispatcher> | undefined;

/** The dispatcher over Next's route table, each API route module imported from source on first use. */
function harnessDispatcher() {
  if (dispatcher) return dispatcher;
  const table = readRouteTable(ROOT);
  dispatcher = createDispatcher({
    ...table,
    routes: table.routes.map((r) =>
      r.kind === "route" && !NEXT_ONLY_ROUTES.includes(r.page)
        ? { ...r, module: () => import(/* @vite-ignore */ path.join(ROOT, r.file!)) as Promise<RouteModule> }
        : r,
    ),
  });
  return dispatcher;
}

export async function startTestApp(): Promise<TestApp> {
  const driver = testDriver();
  const db = await freshDatabase({ prefix: "test", driver, memory: true });
  Object.assign(process.env, db.env);
  for (const [k, v] of Object.entries(db.env)) if (v === undefined) delete process.env[k];
  // The in-harness server's own origin (links, the token's iss): the harness's base below.
  delete process.env.PUBLIC_URL;
  delete process.env.HOST;
  delete process.env.PORT;
  process.env.LOG_LEVEL ??= "silent";
  process.env.ADMIN_ENV_ID = FIXED.adminEnvId;
  process.env.DEMO_ENV_ID = FIXED.demoEnvId;
  process.env.WORKER_CLIENT_ID = FIXED.workerId;
  process.env.WORKER_CLIENT_SECRET = FIXED.workerSecret;
  process.env.ADMIN_USERNAME = FIXED.adminUsername;
  process.env.ADMIN_PASSWORD = FIXED.adminPassword;

  const { bootstrap } = await import("@/lib/bootstrap");
  const { closeDb } = await import("@/db");
  await bootstrap();

  const { dispatch } = harnessDispatcher();
  const base = "http://localhost:3000";

  const fetchApp = async (p: string, init: RequestInit = {}): Promise<Response> => {
    const req = new Request(new URL(p, base), init);
    const res = await dispatch(req, { clientIp: "127.0.0.1" });
    // Pages and Auth.js are Next's: not reachable in the harness.
    return res ?? new Response("not an API route: Next.js serves it", { status: 404 });
  };

  const token = async (clientId = FIXED.workerId, secret = FIXED.workerSecret) => {
    const res = await fetchApp(`/${FIXED.adminEnvId}/as/token`, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: "Basic " + Buffer.from(`${clientId}:${secret}`).toString("base64"),
      },
      body: "grant_type=client_credentials",
    });
    if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };

  const { getDb } = await import("@/db");
  const schema = await import("@/db/schema");
  const { insertApplication, insertRoleAssignment } = await import("@/lib/environments");

  const organizationId = async () => {
    const [org] = await (await getDb()).select({ id: schema.organizations.id }).from(schema.organizations).limit(1);
    if (!org) throw new Error("bootstrap made no organization");
    return org.id;
  };

  let workerCount = 0;
  const createWorker = async (assignments: TestAssignment[], name = `test worker ${++workerCount}`) => {
    const db = await getDb();
    const orgId = await organizationId();
    const worker = await insertApplication(db, { environmentId: FIXED.adminEnvId, name });
    for (const a of assignments) {
      await insertRoleAssignment(db, {
        role: a.role,
        subject: { applicationId: worker.id },
        scopeType: a.scope,
        scopeId: a.scope === "ORGANIZATION" ? orgId : a.scope === "ENVIRONMENT" ? a.environmentId : a.populationId,
        scopeEnvironmentId: a.scope === "ORGANIZATION" ? null : a.environmentId,
      });
    }
    return worker;
  };

  let demoRefs: DemoRefs | undefined;
  const refs = async (): Promise<DemoRefs> => {
    if (demoRefs) return demoRefs;
    const auth = { headers: { authorization: `Bearer ${await token()}` } };
    const list = async (name: string) => {
      const res = await fetchApp(`/environments/${FIXED.demoEnvId}/${name}`, auth);
      if (res.status !== 200) throw new Error(`GET ${name}: ${res.status}`);
      return ((await res.json()) as { _embedded: Record<string, Record<string, unknown>[]> })._embedded[name]!;
    };
    const populations = await list("populations");
    const idps = await list("identityProviders");
    const gateways = await list("gateways");
    const pop = (name: string) => populations.find((p) => p.name === name)?.id as string;
    const gateway = gateways[0] as { id: string; userTypes: { id: string; orderedCorrelationAttributes: string[] }[] };
    demoRefs = {
      defaultPopulationId: pop("Default"),
      contractorsPopulationId: pop("Contractors"),
      googleIdpId: idps.find((i) => i.type === "GOOGLE")?.id as string,
      gatewayId: gateway.id,
      userTypeId: gateway.userTypes[0]!.id,
      correlationAttributes: gateway.userTypes[0]!.orderedCorrelationAttributes,
    };
    return demoRefs;
  };

  const countUsers = async (environmentId?: string) => {
    const [row] = await (await getDb())
      .select({ n: count() })
      .from(schema.users)
      .where(environmentId ? eq(schema.users.environmentId, environmentId) : undefined);
    return Number(row?.n ?? 0);
  };

  const passwordRow = async (userId: string) => {
    const [row] = await (await getDb())
      .select({
        passwordHash: schema.users.passwordHash,
        passwordStatus: schema.users.passwordStatus,
        externalPassword: schema.users.externalPassword,
      })
      .from(schema.users)
      .where(eq(schema.users.id, userId));
    return row;
  };

  return {
    driver,
    base,
    fetch: fetchApp,
    token,
    createWorker,
    tokenFor: async (assignments) => {
      const w = await createWorker(assignments);
      return token(w.id, w.secret);
    },
    organizationId,
    refs,
    countUsers,
    passwordRow,
    close: async () => {
      // Hand pending rate-limit hits to the store now, so that no timer reopens the database after it is dropped.
      const { flushLimits } = await import("@/lib/rate-limit");
      await flushLimits();
      await closeDb();
      await db.drop();
    },
  };
}

/**
 * The OpenAPI document (issue 6.1): it covers every API route of Next's route table, and the
 * responses that real calls receive conform to it. The representative calls below go through
 * the real route handlers; every response is checked against the document's schema for its
 * path, method, status and content type (JSON Schema 2020-12, read back by z.fromJSONSchema).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { implementedMethods } from "@/lib/api/http";
import { NEXT_ONLY_ROUTES, readRouteTable } from "@/lib/server/route-table";
import { openApiDocument } from "@/lib/openapi/document";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { IMPORT_TYPE, uniqueName } from "./support/http";

type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown>; responses: Record<string, ResponseObject> } };
type ResponseObject = { description: string; content?: Record<string, { schema?: unknown }>; $ref?: string };
type Operation = { responses: Record<string, ResponseObject> };
type Recorded = { method: string; path: string; status: number; contentType: string | null; text: string };

const ROOT = path.resolve(import.meta.dirname, "..");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

const doc = openApiDocument() as unknown as Doc;
let app: TestApp;
let refs: DemoRefs;
const recorded: Recorded[] = [];

/** app.fetch, recording every response for the conformance check. */
async function call(p: string, init: RequestInit & { token?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set("authorization", `Bearer ${init.token}`);
  const res = await app.fetch(p, { ...init, headers });
  const text = await res.text();
  const contentType = res.headers.get("content-type");
  recorded.push({ method: init.method ?? "GET", path: new URL(p, "http://x").pathname, status: res.status, contentType, text });
  return { status: res.status, body: text && contentType?.includes("json") ? JSON.parse(text) : undefined };
}

function templateOf(concrete: string): string | undefined {
  for (const template of Object.keys(doc.paths)) {
    const re = new RegExp("^" + template.replace(/[.]/g, "\\.").replace(/\{\w+\}/g, "[^/]+") + "/?$");
    if (re.test(concrete)) return template;
  }
  return undefined;
}

function deref(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(deref);
  if (node && typeof node === "object") {
    const o = node as Record<string, unknown>;
    if (typeof o.$ref === "string") {
      const name = o.$ref.replace("#/components/schemas/", "");
      return deref(doc.components.schemas[name]);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, deref(v)]));
  }
  return node;
}

beforeAll(async () => {
  app = await startTestApp();
  refs = await app.refs();
});

afterAll(async () => {
  await app?.close();
});

describe("coverage", () => {
  // The API routes as the production fast path serves them (Next's build output), less the catch-alls.
  const routes = readRouteTable(ROOT)
    .routes.filter((r) => r.kind === "route" && !NEXT_ONLY_ROUTES.includes(r.page) && r.catchAll.length === 0)
    .map((r) => ({ template: r.page.replace(/\[(\w+)\]/g, "{$1}"), file: path.join(ROOT, r.file!) }));
  const methodsOf = async (file: string) => implementedMethods((await import(/* @vite-ignore */ file)) as Record<string, unknown>);

  it("documents every method of every API route", async () => {
    expect(routes.length).toBeGreaterThan(15);
    const missing: string[] = [];
    for (const r of routes) {
      const implemented = await methodsOf(r.file);
      for (const m of METHODS) {
        if (implemented.includes(m) && !doc.paths[r.template]?.[m.toLowerCase()]) missing.push(`${m} ${r.template}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("documents no operation that the routes do not have", async () => {
    const extra: string[] = [];
    for (const [template, ops] of Object.entries(doc.paths)) {
      const r = routes.find((x) => x.template === template);
      const implemented = r ? await methodsOf(r.file) : [];
      for (const m of Object.keys(ops)) if (!implemented.includes(m.toUpperCase() as (typeof METHODS)[number])) extra.push(`${m.toUpperCase()} ${template}`);
    }
    expect(extra).toEqual([]);
  });

  it("is OpenAPI 3.1 with request bodies from the handlers' Zod schemas", () => {
    const d = openApiDocument() as Record<string, unknown> & Doc;
    expect(d.openapi).toBe("3.1.0");
    const importSchema = d.components.schemas.UserImport as { properties: Record<string, unknown>; required: string[] };
    expect(importSchema.required).toEqual(expect.arrayContaining(["username", "population"]));
    expect(Object.keys(importSchema.properties)).toEqual(expect.arrayContaining(["password", "lifecycle", "address", "identityProvider"]));
    const usersPost = d.paths["/environments/{envID}/users"]!.post as unknown as { requestBody: { content: Record<string, unknown> } };
    expect(Object.keys(usersPost.requestBody.content)).toEqual([IMPORT_TYPE, "application/json"]);
  });
});

describe("responses conform to the document", () => {
  it("holds for a representative set of calls, successes and errors", async () => {
    const D = FIXED.demoEnvId;
    const basic = (id: string, secret: string) => "Basic " + Buffer.from(`${id}:${secret}`).toString("base64");
    const form = { "content-type": "application/x-www-form-urlencoded" };
    await call("/healthz");
    await call("/readyz");
    await call("/openapi.json");
    const tok = await call(`/${FIXED.adminEnvId}/as/token`, { method: "POST", headers: { ...form, authorization: basic(FIXED.workerId, FIXED.workerSecret) }, body: "grant_type=client_credentials" });
    const token = tok.body.access_token as string;
    await call(`/${FIXED.adminEnvId}/as/token`, { method: "POST", headers: { ...form, authorization: basic(FIXED.workerId, "wrong") }, body: "grant_type=client_credentials" });
    await call(`/${FIXED.adminEnvId}/as/token`, { method: "POST", headers: form, body: "grant_type=password" });

    await call("/environments", { token });
    await call("/environments", {});
    await call(`/environments/${D}`, { token });
    await call(`/environments/${crypto.randomUUID()}`, { token });
    for (const list of ["populations", "identityProviders", "gateways"]) await call(`/environments/${D}/${list}`, { token });
    await call(`/environments/${D}/gateways/${refs.gatewayId}`, { token });

    const post = (body: unknown, type = IMPORT_TYPE, t: string | null = token) =>
      call(`/environments/${D}/users`, { method: "POST", token: t, headers: { "content-type": type }, body: JSON.stringify(body) });
    const username = uniqueName();
    const created = await post({
      username,
      email: `${username}@example.com`,
      name: { given: "Ada", family: "Lovelace" },
      address: { countryCode: "GB", locality: "London" },
      population: { id: refs.defaultPopulationId },
      password: { value: "a-long-cleartext-passphrase" },
    });
    expect(created.status).toBe(201);
    const userId = created.body.id as string;
    await post({ username: uniqueName(), population: { id: refs.contractorsPopulationId }, identityProvider: { id: refs.googleIdpId } });
    await post({ username: uniqueName() }, "application/json");
    await post({ username, population: { id: refs.defaultPopulationId } });
    await post({ username: "", population: { id: "nope" } });
    await post({ username: uniqueName() }, "text/plain");
    await post({ username: uniqueName(), population: { id: refs.defaultPopulationId } }, IMPORT_TYPE, null);
    const noRoles = await app.tokenFor([]);
    await post({ username: uniqueName(), population: { id: refs.defaultPopulationId } }, IMPORT_TYPE, noRoles);

    await call(`/environments/${D}/users/${userId}`, { token });
    await call(`/environments/${D}/users/${crypto.randomUUID()}`, { token });
    await call(`/environments/${D}/users?limit=1&filter=${encodeURIComponent('username sw "user"')}`, { token });
    await call(`/environments/${D}/users?filter=${encodeURIComponent("nickname co 1")}`, { token });

    const pw = `/environments/${D}/users/${userId}/password`;
    await call(pw, { token });
    await call(pw, { method: "POST", token, headers: { "content-type": "application/vnd.pingidentity.password.check+json" }, body: JSON.stringify({ password: "a-long-cleartext-passphrase" }) });
    await call(pw, { method: "POST", token, headers: { "content-type": "application/vnd.pingidentity.password.check+json" }, body: JSON.stringify({ password: "wrong-password-here" }) });
    await call(pw, { method: "PUT", token, headers: { "content-type": "application/vnd.pingidentity.password.set+json" }, body: JSON.stringify({ value: "another-long-passphrase", forceChange: true }) });
    await call(pw, { method: "POST", token, headers: { "content-type": "application/vnd.pingidentity.password.forceChange" } });

    const verifying = await post({
      username: uniqueName(),
      email: "verify.me@example.com",
      population: { id: refs.defaultPopulationId },
      lifecycle: { status: "VERIFICATION_REQUIRED" },
    });
    const u = `/environments/${D}/users/${verifying.body.id}`;
    await call(u, { method: "POST", token, headers: { "content-type": "application/vnd.pingidentity.user.sendVerificationCode+json" } });
    await call(u, { method: "POST", token, headers: { "content-type": "application/vnd.pingidentity.user.verify+json" }, body: JSON.stringify({ verificationCode: "WRONG123" }) });

    const admin = await app.tokenFor([
      { role: "ENVIRONMENT_ADMIN", scope: "ENVIRONMENT", environmentId: D },
      { role: "IDENTITY_DATA_ADMIN", scope: "ENVIRONMENT", environmentId: D },
    ]);
    const json = { "content-type": "application/json" };
    await call("/roles", { token: admin });
    const createdApp = await call(`/environments/${D}/applications`, { method: "POST", token: admin, headers: json, body: JSON.stringify({ name: "conformance" }) });
    await call(`/environments/${D}/applications`, { method: "POST", token: admin, headers: json, body: JSON.stringify({}) });
    await call(`/environments/${D}/applications`, { method: "POST", token, headers: json, body: JSON.stringify({ name: "x" }) });
    await call(`/environments/${D}/applications`, { token: admin });
    const a = `/environments/${D}/applications/${createdApp.body.id}`;
    await call(a, { token: admin });
    await call(`${a}/secret`, { method: "POST", token: admin });
    const ra = await call(`${a}/roleAssignments`, {
      method: "POST",
      token: admin,
      headers: json,
      body: JSON.stringify({ role: { name: "Identity Data Admin" }, scope: { type: "POPULATION", id: refs.defaultPopulationId } }),
    });
    await call(`${a}/roleAssignments`, { token: admin });
    await call(`${a}/roleAssignments/${ra.body.id}`, { token: admin });
    await call(`${a}/roleAssignments/${ra.body.id}`, { method: "DELETE", token: admin });
    await call(a, { method: "DELETE", token: admin });
    await call(a, { token: admin });

    // Issue 14: populations, identity providers and the single-user operations.
    const pops = `/environments/${D}/populations`;
    const pop = await call(pops, { method: "POST", token: admin, headers: json, body: JSON.stringify({ name: uniqueName("Conformance"), description: "d" }) });
    expect(pop.status).toBe(201);
    await call(pops, { method: "POST", token: admin, headers: json, body: JSON.stringify({}) });
    await call(`${pops}/${pop.body.id}`, { token: admin });
    await call(`${pops}/${pop.body.id}`, { method: "PUT", token: admin, headers: json, body: JSON.stringify({ name: uniqueName("Renamed") }) });
    await call(`${pops}/${refs.defaultPopulationId}`, { method: "DELETE", token: admin });
    const idps = `/environments/${D}/identityProviders`;
    const idp = await call(idps, { method: "POST", token: admin, headers: json, body: JSON.stringify({ type: "GITHUB", name: "GitHub" }) });
    await call(`${idps}/${idp.body.id}`, { token: admin });
    await call(`${idps}/${idp.body.id}`, { method: "PUT", token: admin, headers: json, body: JSON.stringify({ type: "GITHUB", name: "GitHub", enabled: false }) });
    await call(`${idps}/${idp.body.id}`, { method: "DELETE", token: admin });
    const me = `/environments/${D}/users/${userId}`;
    await call(me, { method: "PATCH", token, headers: json, body: JSON.stringify({ nickname: "ada", name: { family: null } }) });
    await call(me, { method: "PATCH", token, headers: json, body: JSON.stringify({ email: "nope" }) });
    await call(me, { method: "PUT", token, headers: json, body: JSON.stringify({ title: "Countess" }) });
    await call(`${me}/population`, { method: "PUT", token: admin, headers: json, body: JSON.stringify({ id: pop.body.id }) });
    await call(`${me}/population`, { method: "PUT", token: admin, headers: json, body: JSON.stringify({ id: "x" }) });
    await call(`${me}/enabled`, { token });
    await call(`${me}/enabled`, { method: "PUT", token, headers: json, body: JSON.stringify({ enabled: false }) });
    await call(`${me}/identityProvider`, { token });
    await call(`${pops}/${pop.body.id}`, { method: "DELETE", token: admin });
    await call(me, { method: "DELETE", token });
    await call(`${pops}/${pop.body.id}`, { method: "DELETE", token: admin });

    const job = await call(`/environments/${D}/userImportJobs?dryRun=true`, {
      method: "POST",
      token,
      headers: { "content-type": "application/x-ndjson" },
      body: [JSON.stringify({ username: uniqueName(), population: { id: refs.defaultPopulationId } }), JSON.stringify({ username: "" })].join("\n"),
    });
    expect(job.status).toBe(202);
    await call(`/environments/${D}/userImportJobs`, { token });
    await call(`/environments/${D}/userImportJobs/${job.body.id}`, { token });
    await call(`/environments/${D}/userImportJobs/${crypto.randomUUID()}`, { token });
    await call(`/environments/${D}/userImportJobs/${job.body.id}/errors`, { token });
    await call(`/environments/${D}/userImportJobs/${job.body.id}/errors?format=csv`, { token });

    const problems: string[] = [];
    const statuses = new Set<number>();
    for (const r of recorded) {
      statuses.add(r.status);
      const where = `${r.method} ${r.path} -> ${r.status}`;
      const template = templateOf(r.path);
      const op = template ? doc.paths[template]?.[r.method.toLowerCase()] : undefined;
      if (!op) {
        problems.push(`${where}: no such operation in the document`);
        continue;
      }
      let response = op.responses[String(r.status)];
      if (response?.$ref) response = doc.components.responses[response.$ref.replace("#/components/responses/", "")];
      if (!response) {
        problems.push(`${where}: status not documented`);
        continue;
      }
      if (!r.text) {
        if (response.content) problems.push(`${where}: documented with a body, got none`);
        continue;
      }
      const type = r.contentType?.split(";")[0]?.trim() ?? "";
      const media = response.content?.[type];
      if (!media) {
        problems.push(`${where}: content type ${type} not documented`);
        continue;
      }
      if (!media.schema || Object.keys(media.schema as object).length === 0) continue;
      const schema = z.fromJSONSchema(deref(media.schema) as Parameters<typeof z.fromJSONSchema>[0]);
      const parsed = schema.safeParse(JSON.parse(r.text));
      if (!parsed.success) problems.push(`${where}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    }
    expect(problems).toEqual([]);
    // The check can fail: a user resource with a hash in it, or without its id, does not conform.
    const userSchema = z.fromJSONSchema(deref(doc.components.schemas.User) as Parameters<typeof z.fromJSONSchema>[0]);
    const good = JSON.parse(recorded.find((r) => r.method === "GET" && r.status === 200 && /\/users\/[^/]+$/.test(r.path))!.text);
    expect(userSchema.safeParse(good).success).toBe(true);
    expect(userSchema.safeParse({ ...good, passwordHash: "{SSHA}x" }).success).toBe(false);
    const { id: _id, ...withoutId } = good;
    expect(userSchema.safeParse(withoutId).success).toBe(false);
    // The set really covered successes and the error envelope.
    for (const s of [200, 201, 202, 204, 400, 401, 403, 404, 415]) expect(statuses.has(s), `status ${s} exercised`).toBe(true);
  });
});

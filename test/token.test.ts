/**
 * The token endpoint, spec 6: client_credentials for worker applications, client secret by HTTP
 * Basic or in the body; errors as RFC 6749 section 5.2 has them.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt } from "jose";
import { FIXED, startTestApp, type TestApp } from "./support/app";
import { Client } from "./support/http";

let app: TestApp;
let api: Client;
const TOKEN_PATH = `/${FIXED.adminEnvId}/as/token`;

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app);
});
afterAll(async () => {
  api?.expectNoLeak([FIXED.workerSecret, encodeURIComponent(FIXED.workerSecret)]);
  await app?.close();
});

const basic = (id: string, secret: string) => "Basic " + Buffer.from(`${id}:${secret}`).toString("base64");

function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}, path = TOKEN_PATH) {
  return api.request(path, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

function expectToken(res: Awaited<ReturnType<typeof tokenRequest>>, clientId = FIXED.workerId) {
  expect(res.status, res.text).toBe(200);
  expect(Object.keys(res.body).sort()).toEqual(["access_token", "expires_in", "token_type"]);
  expect(res.body.token_type).toBe("Bearer");
  expect(res.body.expires_in).toBe(3600);
  expect(res.headers.get("cache-control")).toMatch(/no-store/);
  const claims = decodeJwt(res.body.access_token);
  expect(claims.exp! - claims.iat!).toBe(3600);
  expect(claims.sub).toBe(clientId);
  return res.body.access_token as string;
}

function expectOAuthError(res: Awaited<ReturnType<typeof tokenRequest>>, status: number, error: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.body.error).toBe(error);
  expect(typeof res.body.error_description).toBe("string");
  expect(res.body).not.toHaveProperty("access_token");
}

describe("issuing tokens", () => {
  it("issues a Bearer token for one hour with client_secret_basic", async () => {
    expectToken(await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(FIXED.workerId, FIXED.workerSecret) }));
  });

  it("issues a token with client_secret_post", async () => {
    expectToken(await tokenRequest({ grant_type: "client_credentials", client_id: FIXED.workerId, client_secret: FIXED.workerSecret }));
  });

  it("accepts a form-urlencoded Basic credential (RFC 6749 2.3.1)", async () => {
    const w = await app.createWorker([], "basic-encoding");
    const res = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(encodeURIComponent(w.id), encodeURIComponent(w.secret)) });
    expect(res.status, res.text).toBe(200);
  });

  it("gives a token that works on the API, and carries the application's roles", async () => {
    const token = expectToken(await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(FIXED.workerId, FIXED.workerSecret) }));
    const res = await api.withToken(token).get(`/environments/${FIXED.demoEnvId}/users`);
    expect(res.status, res.text).toBe(200);
    const created = await api.withToken(token).postUser({ username: "token-user", population: { id: (await app.refs()).defaultPopulationId } });
    expect(created.status, created.text).toBe(201);
    // A token of an application without roles authenticates, but may do nothing.
    const w = await app.createWorker([]);
    const bare = expectToken(await tokenRequest({ grant_type: "client_credentials", client_id: w.id, client_secret: w.secret }), w.id);
    expect((await api.withToken(bare).get(`/environments/${FIXED.demoEnvId}/users`)).status).toBe(403);
    expect((await api.withToken(bare).get("/environments")).body._embedded.environments).toEqual([]);
  });
});

describe("refusing clients", () => {
  it("answers 401 invalid_client for a wrong secret, by Basic and by POST", async () => {
    const before = await app.countUsers();
    expectOAuthError(await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(FIXED.workerId, "wrong") }), 401, "invalid_client");
    expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_id: FIXED.workerId, client_secret: FIXED.workerSecret + "x" }), 401, "invalid_client");
    expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_id: FIXED.workerId, client_secret: "" }), 401, "invalid_client");
    expect(await app.countUsers()).toBe(before);
  });

  it("answers 401 invalid_client for an unknown client, with the same answer as a wrong secret", async () => {
    const unknown = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(randomUUID(), FIXED.workerSecret) });
    const wrong = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(FIXED.workerId, "not-the-secret") });
    expectOAuthError(unknown, 401, "invalid_client");
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.headers.get("www-authenticate")).toMatch(/^Basic/);
    expectOAuthError(await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic("not-a-uuid", "x") }), 401, "invalid_client");
  });

  it("answers 401 when the client is not an application of this environment", async () => {
    const res = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(FIXED.workerId, FIXED.workerSecret) }, `/${FIXED.demoEnvId}/as/token`);
    expectOAuthError(res, 401, "invalid_client");
    const unknownEnv = await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(FIXED.workerId, FIXED.workerSecret) }, `/${randomUUID()}/as/token`);
    expectOAuthError(unknownEnv, 401, "invalid_client");
  });

  it("answers 401 when no client credentials are sent", async () => {
    expectOAuthError(await tokenRequest({ grant_type: "client_credentials" }), 401, "invalid_client");
    expectOAuthError(await tokenRequest({ grant_type: "client_credentials", client_id: FIXED.workerId }), 401, "invalid_client");
  });

  it("answers 400 unsupported_grant_type for another grant, and invalid_request without one", async () => {
    for (const grant_type of ["password", "authorization_code", "refresh_token", "CLIENT_CREDENTIALS"]) {
      expectOAuthError(
        await tokenRequest({ grant_type, username: "root-admin", password: FIXED.adminPassword }, { authorization: basic(FIXED.workerId, FIXED.workerSecret) }),
        400,
        "unsupported_grant_type",
      );
    }
    expectOAuthError(await tokenRequest({}, { authorization: basic(FIXED.workerId, FIXED.workerSecret) }), 400, "invalid_request");
  });

  it("answers 400 invalid_request for a body that is not a form, or two ways of authenticating", async () => {
    const json = await api.request(TOKEN_PATH, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: basic(FIXED.workerId, FIXED.workerSecret) },
      body: JSON.stringify({ grant_type: "client_credentials" }),
    });
    expectOAuthError(json, 400, "invalid_request");
    expectOAuthError(
      await tokenRequest({ grant_type: "client_credentials", client_secret: FIXED.workerSecret }, { authorization: basic(FIXED.workerId, FIXED.workerSecret) }),
      400,
      "invalid_request",
    );
  });

  it("never echoes a secret, right or wrong", async () => {
    const wrong = "a-wrong-secret-" + randomUUID();
    await tokenRequest({ grant_type: "client_credentials", client_id: FIXED.workerId, client_secret: wrong });
    await tokenRequest({ grant_type: "client_credentials" }, { authorization: basic(FIXED.workerId, wrong) });
    api.expectNoLeak([wrong]);
  });
});

import { afterAll, beforeAll, expect, it } from "vitest";
import { FIXED, startTestApp, type TestApp } from "./support/app";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => app?.close());

it("imports a user and reads it back", async () => {
  const token = await app.token();
  const pops = await (await app.fetch(`/environments/${FIXED.demoEnvId}/populations`, { headers: { authorization: `Bearer ${token}` } })).json();
  const popId = pops._embedded.populations[0].id;
  const res = await app.fetch(`/environments/${FIXED.demoEnvId}/users`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/vnd.pingidentity.user.import+json" },
    body: JSON.stringify({ username: "ada", population: { id: popId }, password: { value: "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93" } }),
  });
  const body = await res.json();
  expect(res.status, JSON.stringify(body)).toBe(201);
});

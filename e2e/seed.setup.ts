import { createHash, randomBytes } from "node:crypto";
import { test as setup, expect } from "@playwright/test";
import { E2E } from "./support/constants";
import { LoginPage } from "./pages/login-page";
import { RoleAssignmentsPage } from "./pages/role-assignments-page";
import { snap } from "./support/snap";

/** OpenLDAP's {SSHA}: base64(sha1(password + salt) + salt). */
function ssha(password: string): string {
  const salt = randomBytes(8);
  const digest = createHash("sha1").update(password).update(salt).digest();
  return "{SSHA}" + Buffer.concat([digest, salt]).toString("base64");
}

/**
 * The two extra administrators, made the way an operator would: imported into the
 * administrators' environment through the import API (authenticated by the console session),
 * one with a legacy {SSHA} hash, then given roles on the console's role-assignments page.
 */
setup("seed a population-scoped and a read-only administrator", async ({ page }, testInfo) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(E2E.admin.username, E2E.admin.password);
  await expect(page).toHaveURL(/\/console\/environments/);

  const pops = await page.request.get(`/environments/${E2E.adminEnvId}/populations`);
  expect(pops.status()).toBe(200);
  const populationId = ((await pops.json()) as { _embedded: { populations: { id: string }[] } })._embedded.populations[0]!.id;

  for (const [who, password] of [
    [E2E.popAdmin, ssha(E2E.popAdmin.password)],
    [E2E.readOnly, E2E.readOnly.password],
  ] as const) {
    const res = await page.request.post(`/environments/${E2E.adminEnvId}/users`, {
      headers: { "content-type": "application/vnd.pingidentity.user.import+json" },
      data: JSON.stringify({ username: who.username, population: { id: populationId }, password: { value: password } }),
    });
    expect(res.status(), await res.text()).toBe(201);
  }

  const roles = new RoleAssignmentsPage(page, E2E.adminEnvId);
  await roles.goto();
  await roles.assign(E2E.popAdmin.username, "Identity Data Admin", "Population Contractors");
  await roles.assign(E2E.readOnly.username, "Identity Data Read Only", "Environment Demo");
  await snap(page, testInfo, "role-assignments");
});

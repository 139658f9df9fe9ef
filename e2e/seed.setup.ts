import { test as setup, expect } from "@playwright/test";
import { ssha } from "../test/support/ssha";
import { CREDENTIALS, E2E, authStateFile, type Role } from "./support/constants";
import { ConsoleShell } from "./pages/console-shell";
import { LoginPage } from "./pages/login-page";
import { RoleAssignmentsPage } from "./pages/role-assignments-page";
import { snap } from "./support/snap";

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

/**
 * Each role signs in once, through the form, in a context of its own; the specs start from the
 * saved state (e2e/fixtures.ts) instead of signing in for every test. The Contractors
 * administrator's sign-in is that of an administrator imported with a legacy {SSHA} hash.
 */
setup("sign each administrator in once and keep the session", async ({ browser }) => {
  for (const role of Object.keys(CREDENTIALS) as Role[]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const login = new LoginPage(page);
    await login.goto();
    await login.signIn(CREDENTIALS[role].username, CREDENTIALS[role].password);
    await expect(page).toHaveURL(/\/console\/environments/);
    await new ConsoleShell(page).expectSignedInAs(CREDENTIALS[role].username);
    await context.storageState({ path: authStateFile(role) });
    await context.close();
  }
});

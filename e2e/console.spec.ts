import { test, expect } from "./fixtures";
import { E2E } from "./support/constants";
import { snap } from "./support/snap";
import { LoginPage } from "./pages/login-page";
import { ConsoleShell } from "./pages/console-shell";
import { UsersPage } from "./pages/users-page";
import { ImportUserPage } from "./pages/import-user-page";

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

test("signs in, and refuses a wrong password and an unknown user with the same message", async ({ page }, testInfo) => {
  const login = new LoginPage(page);
  await login.goto();
  await snap(page, testInfo, "login");
  await login.signIn(E2E.admin.username, "not-the-password");
  await expect(login.error()).toHaveText("The username or password is incorrect.");
  const wrongPassword = await login.error().innerText();
  await login.signIn("nobody-by-this-name", "whatever");
  await expect(login.error()).toHaveText(wrongPassword);
  await snap(page, testInfo, "login-refused");

  await login.signIn(E2E.admin.username, E2E.admin.password);
  await expect(page).toHaveURL(/\/console\/environments$/);
  await new ConsoleShell(page).expectSignedInAs(E2E.admin.username);
  await expect(page.getByRole("link", { name: /Demo/ })).toBeVisible();
  await snap(page, testInfo, "environments");
});

test("an administrator imported with a legacy {SSHA} hash signs in", async ({ popAdminPage }, testInfo) => {
  await new ConsoleShell(popAdminPage).expectSignedInAs(E2E.popAdmin.username);
  await snap(popAdminPage, testInfo, "pop-admin-environments");
});

test("imports a user by form and finds them in the list", async ({ envAdminPage: page }, testInfo) => {
  const username = unique("ada");
  const form = new ImportUserPage(page, E2E.demoEnvId);
  await form.goto();
  await form.fill({ username, email: `${username}@example.com`, given: "Ada", family: "Lovelace", population: "Contractors" });
  await page.getByLabel("Password", { exact: true }).fill("{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93");
  await expect(page.getByTestId("password-kind")).toContainText("Pre-encoded SSHA");
  await page.getByLabel("Password", { exact: true }).fill("Correct-Horse-9-battery");
  await expect(page.getByTestId("password-kind")).toContainText("Cleartext");
  await snap(page, testInfo, "import-form");
  await form.submit();

  await expect(page).toHaveURL(/\/users\/[0-9a-f-]{36}\?notice=imported/);
  await expect(page.getByText("User imported")).toBeVisible();
  await expect(page.getByRole("heading", { name: username })).toBeVisible();
  await snap(page, testInfo, "user-detail");

  const users = new UsersPage(page, E2E.demoEnvId);
  await users.goto();
  await users.search(username.slice(0, 8));
  await expect(users.row(username)).toBeVisible();
  await expect(users.row(username)).toContainText("Contractors");
  await snap(page, testInfo, "users-list");
});

test("choosing a gateway user type asks for exactly its link attributes, and the user is linked", async ({ envAdminPage: page }, testInfo) => {
  const username = unique("ldap");
  const form = new ImportUserPage(page, E2E.demoEnvId);
  await form.goto();
  await form.fill({ username });
  await page.getByLabel("Gateway user type").selectOption({ label: "Employees" });
  const linkInputs = page.getByLabel(/^Link attribute: /);
  await expect(linkInputs).toHaveCount(3);
  expect(await linkInputs.evaluateAll((els) => els.map((e) => e.id && document.querySelector(`label[for="${e.id}"]`)?.textContent))).toEqual([
    "Link attribute: uid",
    "Link attribute: mail",
    "Link attribute: employeeNumber",
  ]);
  await expect(page.getByLabel("Password", { exact: true })).toHaveCount(0);
  await page.getByLabel("Link attribute: uid").fill(username);
  await page.getByLabel("Link attribute: employeeNumber").fill("E-1001");
  await snap(page, testInfo, "gateway-link-attributes");
  await form.submit();
  await expect(page).toHaveURL(/notice=imported/);
  await expect(page.getByText("Corporate LDAP")).toBeVisible();
  await expect(page.getByText("E-1001")).toBeVisible();
  await snap(page, testInfo, "gateway-user");
});

test("a duplicate username shows the error on the username field", async ({ envAdminPage: page }, testInfo) => {
  const username = unique("grace");
  const form = new ImportUserPage(page, E2E.demoEnvId);
  await form.goto();
  await form.fill({ username });
  await form.submit();
  await expect(page).toHaveURL(/notice=imported/);

  await form.goto();
  await form.fill({ username: username.toUpperCase() });
  await form.submit();
  expect(await form.fieldError("Username")).toContain("already exists");
  await expect(form.username()).toBeFocused();
  await expect(page).toHaveURL(new RegExp(`${form.url()}$`));
  await snap(page, testInfo, "duplicate-username");
});

test("a population-scoped administrator sees and imports into only their populations", async ({ envAdminPage, popAdminPage }, testInfo) => {
  // One user in each population, made by the environment admin.
  const inDefault = unique("dflt");
  const inContractors = unique("ctr");
  const adminForm = new ImportUserPage(envAdminPage, E2E.demoEnvId);
  for (const [username, population] of [
    [inContractors, "Contractors"],
    [inDefault, "Default"],
  ] as const) {
    await adminForm.goto();
    await adminForm.fill({ username, population });
    await adminForm.submit();
    await expect(envAdminPage).toHaveURL(/notice=imported/);
  }
  const defaultUserUrl = envAdminPage.url().replace(/\?.*$/, "");

  const users = new UsersPage(popAdminPage, E2E.demoEnvId);
  await users.goto();
  await expect(users.row(inContractors)).toBeVisible();
  await expect(users.row(inDefault)).toHaveCount(0);
  await expect(popAdminPage.getByLabel("Population")).not.toContainText("Default");
  await snap(popAdminPage, testInfo, "pop-admin-users");

  const form = new ImportUserPage(popAdminPage, E2E.demoEnvId);
  await form.goto();
  const options = await form.population().locator("option").allInnerTexts();
  expect(options).toEqual(["Contractors"]);
  await snap(popAdminPage, testInfo, "pop-admin-import-form");

  // A user of another population does not exist for them, even by its address.
  await popAdminPage.goto(defaultUserUrl);
  await expect(popAdminPage.getByRole("heading", { name: "User not found" })).toBeVisible();
  await snap(popAdminPage, testInfo, "pop-admin-other-population-user");

  // Forged: the environment admin's request importing into Default, replayed with the
  // population admin's session, is refused by the server action's own check.
  const forged = unique("forged");
  await adminForm.goto();
  await adminForm.fill({ username: forged, population: "Default" });
  const submission = await adminForm.captureSubmission();
  const res = await popAdminPage.request.post(submission.url, { headers: strip(submission.headers), data: submission.body });
  expect(res.status()).toBe(200);
  expect(await res.text()).toContain("You are not allowed to do this.");
  await users.goto({ q: forged });
  await expect(users.row(forged)).toHaveCount(0);
  const adminUsers = new UsersPage(envAdminPage, E2E.demoEnvId);
  await adminUsers.goto({ q: forged });
  await expect(adminUsers.row(forged)).toHaveCount(0);
});

test("a read-only administrator sees no write controls and a direct POST of the server action is refused", async ({ envAdminPage, readOnlyPage }, testInfo) => {
  const users = new UsersPage(readOnlyPage, E2E.demoEnvId);
  await users.goto();
  await expect(users.importLink()).toHaveCount(0);
  await expect(readOnlyPage.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Import user" })).toHaveCount(0);
  await snap(readOnlyPage, testInfo, "read-only-users");

  await readOnlyPage.goto(`/console/environments/${E2E.demoEnvId}/users/new`);
  await expect(readOnlyPage.getByText("Read-only access")).toBeVisible();
  await expect(readOnlyPage.getByRole("button", { name: "Import user" })).toHaveCount(0);
  await readOnlyPage.goto(`/console/environments/${E2E.demoEnvId}/populations`);
  await expect(readOnlyPage.getByRole("heading", { name: "Populations", exact: true })).toBeVisible();
  await expect(readOnlyPage.getByRole("button", { name: /Create population|Delete/ })).toHaveCount(0);
  await snap(readOnlyPage, testInfo, "read-only-populations");

  const username = unique("sneaky");
  const form = new ImportUserPage(envAdminPage, E2E.demoEnvId);
  await form.goto();
  await form.fill({ username });
  const submission = await form.captureSubmission();
  const res = await readOnlyPage.request.post(submission.url, { headers: strip(submission.headers), data: submission.body });
  expect(res.status()).toBe(200);
  expect(await res.text()).toContain("You are not allowed to do this.");
  const adminUsers = new UsersPage(envAdminPage, E2E.demoEnvId);
  await adminUsers.goto({ q: username });
  await expect(adminUsers.row(username)).toHaveCount(0);
  await snap(envAdminPage, testInfo, "not-imported");
});

test("signs out", async ({ page }, testInfo) => {
  // A session of its own, not the saved one the other tests share.
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(E2E.admin.username, E2E.admin.password);
  await expect(page).toHaveURL(/\/console\/environments/);
  const shell = new ConsoleShell(page);
  await shell.signOut();
  await snap(page, testInfo, "signed-out");
  await page.goto("/console/environments");
  await expect(page).toHaveURL(/\/login/);
  // The import API no longer accepts the (cleared) console session either.
  const res = await page.request.get(`/environments/${E2E.demoEnvId}/users`);
  expect(res.status()).toBe(401);
});

/** Headers a browser sets itself (cookies, host, length) are left to the replaying context. */
function strip(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (!["cookie", "host", "content-length", "connection"].includes(k.toLowerCase()) && !k.startsWith(":")) out[k] = v;
  }
  return out;
}

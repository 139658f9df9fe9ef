import { test, expect } from "./fixtures";
import { E2E } from "./support/constants";
import { snap } from "./support/snap";

const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const base = `/console/environments/${E2E.demoEnvId}`;

test("an Environment Admin creates, renames and deletes a population", async ({ envAdminPage: page }, testInfo) => {
  page.on("dialog", (d) => d.accept());
  const name = unique("Partners");
  await page.goto(`${base}/populations`);
  const create = page.getByTestId("create-population");
  await create.getByLabel("Name").fill(name);
  await create.getByRole("button", { name: "Create population" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Population ${name} created.` })).toBeVisible();
  const row = page.getByRole("row").filter({ hasText: name });
  await expect(row).toBeVisible();
  await snap(page, testInfo, "populations");

  await row.getByText("Edit").click();
  await row.getByLabel("Name").fill(`${name} renamed`);
  await row.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("row").filter({ hasText: `${name} renamed` })).toBeVisible();

  await page.getByRole("button", { name: `Delete population ${name} renamed` }).click();
  await expect(page.getByRole("row").filter({ hasText: name })).toHaveCount(0);

  // The same name twice is refused on the name field.
  await create.getByLabel("Name").fill("default");
  await create.getByRole("button", { name: "Create population" }).click();
  await expect(create.getByText("A population with this name already exists in the environment.")).toBeVisible();
  await expect(create.getByLabel("Name")).toHaveValue("default");
});

test("an Environment Admin creates a worker application, sees its secret once and rotates it", async ({ envAdminPage: page }, testInfo) => {
  const name = unique("Sync job");
  await page.goto(`${base}/applications`);
  await page.getByLabel("Name").last().fill(name);
  await page.getByRole("button", { name: "Create application" }).click();
  const secret = page.getByTestId("one-time-secret");
  await expect(secret).toBeVisible();
  const first = (await secret.innerText()).trim();
  expect(first.length).toBeGreaterThanOrEqual(40);
  await snap(page, testInfo, "application-created");

  await page.reload();
  await expect(page.getByTestId("one-time-secret")).toHaveCount(0);
  await expect(page.locator("body")).not.toContainText(first);

  const row = page.getByRole("row").filter({ hasText: name });
  await row.getByText("Rotate secret").click();
  await row.getByRole("button", { name: "Issue a new secret" }).click();
  await expect(row.getByTestId("one-time-secret")).toBeVisible();
  expect((await row.getByTestId("one-time-secret").innerText()).trim()).not.toBe(first);
  await snap(page, testInfo, "application-rotated");
});

test("identity providers and gateways pages list and create", async ({ envAdminPage: page }, testInfo) => {
  await page.goto(`${base}/identity-providers`);
  await expect(page.getByRole("row").filter({ hasText: "Google" })).toBeVisible();
  const idp = unique("Okta");
  await page.getByLabel("Name").last().fill(idp);
  await page.getByLabel("Type").last().selectOption("OPENID_CONNECT");
  await page.getByRole("button", { name: "Create identity provider" }).click();
  await expect(page.getByRole("row").filter({ hasText: idp })).toBeVisible();
  await snap(page, testInfo, "identity-providers");

  await page.goto(`${base}/gateways`);
  await expect(page.getByText("Corporate LDAP")).toBeVisible();
  await expect(page.getByText("employeeNumber")).toBeVisible();
  await snap(page, testInfo, "gateways");
});

test("a read-only administrator sees environment pages without write controls", async ({ readOnlyPage: page }, testInfo) => {
  for (const path of ["identity-providers", "gateways"]) {
    await page.goto(`${base}/${path}`);
    await expect(page.getByRole("button", { name: /Create|Delete|Save/ })).toHaveCount(0);
  }
  await page.goto(`${base}/applications`);
  await expect(page.getByText("Only Environment Admins manage worker applications.")).toBeVisible();
  await snap(page, testInfo, "read-only-applications");
});

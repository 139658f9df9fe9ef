import type { APIRequestContext } from "@playwright/test";
import { test, expect } from "./fixtures";
import { E2E } from "./support/constants";
import { snap } from "./support/snap";

/**
 * The user page's edit, move, enable/disable and delete (issue 14.7), through the same domain
 * functions as the API: what the console changes, the API reads back. A reader sees no such
 * actions; a population-scoped admin can move only into populations it may write. A population
 * holding users cannot be deleted, and the console says how many it holds.
 */
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

async function populationIds(request: APIRequestContext): Promise<Record<string, string>> {
  const pops = await request.get(`/environments/${E2E.demoEnvId}/populations`);
  return Object.fromEntries(((await pops.json()) as { _embedded: { populations: { id: string; name: string }[] } })._embedded.populations.map((p) => [p.name, p.id]));
}

async function importUser(request: APIRequestContext, body: Record<string, unknown>, population = "Default"): Promise<string> {
  const res = await request.post(`/environments/${E2E.demoEnvId}/users`, {
    headers: { "content-type": "application/vnd.pingidentity.user.import+json" },
    data: JSON.stringify({ population: { id: (await populationIds(request))[population] }, ...body }),
  });
  expect(res.status(), await res.text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

test("edits, moves, disables and deletes a user", async ({ envAdminPage: page }, testInfo) => {
  const username = unique("manage");
  const id = await importUser(page.request, { username, email: `${username}@example.com`, name: { given: "Ada", family: "Lovelace" }, nickname: "ada" });
  const userUrl = `/console/environments/${E2E.demoEnvId}/users/${id}`;
  const api = `/environments/${E2E.demoEnvId}/users/${id}`;
  await page.goto(userUrl);

  const edit = page.getByTestId("edit-user");
  await edit.getByLabel("Given name").fill("Augusta");
  await edit.getByLabel("Nickname").fill("");
  await edit.getByLabel("Email").fill("not an email");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await snap(page, testInfo, "edit-error");
  await edit.getByLabel("Email").fill(`${username}@example.org`);
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("The user was saved.")).toBeVisible();
  const saved = (await (await page.request.get(api)).json()) as Record<string, unknown>;
  expect(saved).toMatchObject({ email: `${username}@example.org`, name: { given: "Augusta", family: "Lovelace" } });
  expect(saved).not.toHaveProperty("nickname");

  const moveForm = page.getByTestId("move-user");
  await moveForm.getByLabel("Move to population").selectOption({ label: "Contractors" });
  await moveForm.getByRole("button", { name: "Move" }).click();
  await expect(page.getByText("The user was moved.")).toBeVisible();
  const ids = await populationIds(page.request);
  expect(((await (await page.request.get(api)).json()) as { population: { id: string } }).population.id).toBe(ids.Contractors);

  await page.getByRole("button", { name: "Disable user" }).click();
  await expect(page.getByText("The user was disabled.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Enable user" })).toBeVisible();
  expect(((await (await page.request.get(`${api}/enabled`)).json()) as { enabled: boolean }).enabled).toBe(false);
  await snap(page, testInfo, "disabled");

  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: `Delete user ${username}` }).click();
  await expect(page).toHaveURL(/\/users\?notice=deleted$/);
  await expect(page.getByText("The user was deleted.")).toBeVisible();
  expect((await page.request.get(api)).status()).toBe(404);
});

test("a reader sees no edit actions; a population admin moves only within its populations", async ({ envAdminPage, readOnlyPage, popAdminPage }) => {
  const username = unique("scoped");
  const id = await importUser(envAdminPage.request, { username }, "Contractors");
  const userUrl = `/console/environments/${E2E.demoEnvId}/users/${id}`;

  await readOnlyPage.goto(userUrl);
  await expect(readOnlyPage.getByRole("heading", { name: username })).toBeVisible();
  await expect(readOnlyPage.getByTestId("user-manage")).toHaveCount(0);

  await popAdminPage.goto(userUrl);
  const options = popAdminPage.getByTestId("move-user").getByLabel("Move to population").locator("option");
  await expect(options).toHaveText(["Contractors"]);
  await popAdminPage.getByTestId("edit-user").getByLabel("Title").fill("Contractor");
  await popAdminPage.getByTestId("edit-user").getByRole("button", { name: "Save changes" }).click();
  await expect(popAdminPage.getByText("The user was saved.")).toBeVisible();
});

test("refuses to delete a population that holds users, saying how many", async ({ envAdminPage: page }) => {
  const name = unique("Pop");
  const created = await page.request.post(`/environments/${E2E.demoEnvId}/populations`, { headers: { "content-type": "application/json" }, data: JSON.stringify({ name }) });
  expect(created.status()).toBe(201);
  await importUser(page.request, { username: unique("member") }, name);
  await page.goto(`/console/environments/${E2E.demoEnvId}/populations`);
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: `Delete population ${name}` }).click();
  await expect(page.getByText("The population still holds 1 user: move or delete them first.")).toBeVisible();
});

import { test, expect } from "./fixtures";
import { E2E } from "./support/constants";
import { BulkImportPage } from "./pages/bulk-import-page";

/**
 * Undo from the console (issue 14.6): an import's job page offers Undo with what it would do,
 * asks first, and starts an undo job (the same startUndo as the API) whose page shows the result.
 */
test("job page: Undo shows its counts, asks first, and deletes the users the job created", async ({ envAdminPage: page }) => {
  const prefix = `undo${Date.now().toString(36)}`;
  const wizard = new BulkImportPage(page, E2E.demoEnvId);
  await wizard.goto();
  await wizard.chooseFile(`${prefix}.csv`, `username,email\n${Array.from({ length: 5 }, (_, i) => `${prefix}-${i},${prefix}-${i}@example.com`).join("\n")}\n`);
  await expect(wizard.mapping("username")).toHaveValue("username");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await expect(page.getByRole("heading", { name: /^Import: completed/ })).toBeVisible();
  await page.getByRole("link", { name: "Open the job page (report, undo)" }).click();
  await expect(page.getByRole("heading", { name: "Import job" })).toBeVisible();

  const undo = page.getByRole("button", { name: "Undo: delete 5, restore 0" });
  // Dismissing the confirmation changes nothing.
  page.once("dialog", (d) => void d.dismiss());
  await undo.click();
  await expect(page.getByRole("heading", { name: "Import job" })).toBeVisible();
  const users = async () =>
    ((await (await page.request.get(`/environments/${E2E.demoEnvId}/users?filter=${encodeURIComponent(`username sw "${prefix}-"`)}`)).json()) as { size: number }).size;
  expect(await users()).toBe(5);

  page.once("dialog", (d) => {
    expect(d.message()).toContain("delete the 5 users this job created and restore the 0 it updated");
    void d.accept();
  });
  await undo.click();
  await expect(page.getByRole("heading", { name: "Undo job" })).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(wizard.count("Deleted")).toHaveText("5", { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
  expect(await users()).toBe(0);

  // The import's page now says it was undone, and offers no second undo.
  await page.getByRole("link", { name: /^job / }).click();
  await expect(page.getByText(/Undone by/)).toBeVisible();
  await expect(page.getByRole("button", { name: /^Undo/ })).toHaveCount(0);

  // Both jobs are listed on the bulk import page, each linking to its page.
  await page.goto(`/console/environments/${E2E.demoEnvId}/imports/new`);
  const recent = page.getByRole("table", { name: "Recent jobs" });
  await expect(recent.getByRole("link", { name: `Undo ${prefix}.csv` })).toBeVisible();
  await expect(recent.getByRole("link", { name: `Import ${prefix}.csv` })).toBeVisible();
});

import { test, expect } from "./fixtures";
import { E2E } from "./support/constants";
import { snap } from "./support/snap";
import { BulkImportPage } from "./pages/bulk-import-page";

/**
 * 1,000 rows, 10 of them bad: 5 invalid emails, 5 repeats of an earlier username. Headers need
 * mapping, and two header cells hold a quoted comma (read by the server's CSV parser, not split
 * in the browser): one is ignored, one is mapped by hand.
 */
function file(prefix: string): { csv: string; bad: number } {
  const lines = ['Login,E-mail,First name,Last name,"Notes, internal","Job title, current"'];
  for (let i = 0; i < 995; i++) {
    const email = i % 199 === 7 ? "not-an-email" : `${prefix}-${i}@example.com`;
    lines.push(`${prefix}-${i},${email},Given ${i},"Family, ${i}","note, ${i}",Engineer ${i}`);
  }
  for (let i = 0; i < 5; i++) lines.push(`${prefix}-${i},dup-${i}@example.com,Again,Again,,`);
  return { csv: lines.join("\r\n") + "\r\n", bad: 10 };
}

test("bulk import wizard: mapping, dry run with bad rows, import now without a second upload, progress that survives a reload, error report", async ({ envAdminPage: page }, testInfo) => {
  const prefix = `bulk${Date.now().toString(36)}`;
  // The file's bytes go to the jobs API; every later step is a server action on the page's URL.
  const uploads: string[] = [];
  page.on("request", (r) => {
    if (r.method() === "POST" && /\/userImportJobs$/.test(new URL(r.url()).pathname)) uploads.push(r.url());
  });
  const { csv, bad } = file(prefix);
  const wizard = new BulkImportPage(page, E2E.demoEnvId);
  await wizard.goto();
  await wizard.chooseFile(`${prefix}.csv`, csv);

  // Auto-matched from the header.
  await expect(wizard.mapping("Login")).toHaveValue("username");
  await expect(wizard.mapping("E-mail")).toHaveValue("email");
  await expect(wizard.mapping("First name")).toHaveValue("name.given");
  await expect(wizard.mapping("Last name")).toHaveValue("name.family");
  await expect(wizard.mapping("Notes, internal")).toHaveValue("");
  await expect(wizard.mapping("Job title, current")).toHaveValue("");
  await wizard.mapping("Job title, current").selectOption("title");
  await snap(page, testInfo, "bulk-mapping");

  await page.getByRole("button", { name: "Validate (dry run)" }).click();
  await expect(page.getByRole("heading", { name: /dry run.*completed/i })).toBeVisible();
  await expect(wizard.count("Rows")).toHaveText("1,000");
  await expect(wizard.count("Valid")).toHaveText("990");
  await expect(wizard.count("Failed")).toHaveText(String(bad));
  await expect(wizard.errorRows()).toHaveCount(bad);
  await expect(wizard.errorRows().first()).toContainText("email");
  await expect(page.getByText("The username is already on row 2 of the file.")).toBeVisible();
  await snap(page, testInfo, "bulk-dry-run");
  // The dry run wrote no user.
  const none = await page.request.get(`/environments/${E2E.demoEnvId}/users?filter=${encodeURIComponent(`username sw "${prefix}"`)}`);
  expect(((await none.json()) as { size: number }).size).toBe(0);

  expect(uploads).toHaveLength(1);

  // "Import now" needs no file in the page: after a reload, the dry run's stored rows are imported.
  const dryRunUrl = page.url();
  await page.reload();
  await expect(page.getByRole("heading", { name: /dry run.*completed/i })).toBeVisible();
  await expect(wizard.errorRows()).toHaveCount(bad);
  await page.getByRole("button", { name: "Import the valid rows now" }).click();
  await expect(page).not.toHaveURL(dryRunUrl);
  await expect(page).toHaveURL(/\?job=[0-9a-f-]{36}/);
  await page.reload();
  await expect(page.getByRole("heading", { name: /^Import: completed/ })).toBeVisible();
  // The job's rate over its life, drawn from its progress history.
  await expect(page.getByRole("img", { name: /^Rows per second over the job's life: peak [\d,]+ rows\/s/ })).toBeVisible();
  await expect(wizard.count("Created")).toHaveText("990");
  await expect(wizard.count("Failed")).toHaveText(String(bad));
  await expect(wizard.errorRows()).toHaveCount(bad);
  expect(uploads).toHaveLength(1);
  await snap(page, testInfo, "bulk-done");

  const report = page.getByRole("link", { name: "Download the error report (CSV)" });
  const res = await page.request.get((await report.getAttribute("href"))!);
  const lines = (await res.text()).trimEnd().split("\r\n");
  expect(lines[0]).toBe("row,username,target,code,message");
  expect(lines).toHaveLength(bad + 1);
  const some = await page.request.get(`/environments/${E2E.demoEnvId}/users?filter=${encodeURIComponent(`username eq "${prefix}-3"`)}`);
  expect(some.status()).toBe(200);
  const [user] = ((await some.json()) as { _embedded: { users: Record<string, unknown>[] } })._embedded.users;
  // The mapping chose the columns: the title came from the hand-mapped column, the notes column was left out.
  expect(user).toMatchObject({ username: `${prefix}-3`, title: "Engineer 3", name: { given: "Given 3", family: "Family, 3" } });
  expect(JSON.stringify(user)).not.toContain("note, 3");
});

import { test, expect } from "./fixtures";
import { ssha } from "../test/support/ssha";
import { E2E } from "./support/constants";
import { snap } from "./support/snap";
import { BulkImportPage } from "./pages/bulk-import-page";

const D = E2E.demoEnvId;
const IMPORT = "application/vnd.pingidentity.user.import+json";
const CHECK = "application/vnd.pingidentity.password.check+json";

/**
 * A CSV of `n` users, every `every`th with a cleartext password: each is hashed with argon2id
 * (tens a second on this machine), spread over the batches so that every batch takes a while and
 * the job runs long enough to watch its progress.
 */
function bigFile(prefix: string, n: number, every: number): string {
  const lines = ["username,email,password"];
  for (let i = 0; i < n; i++) lines.push(`${prefix}-${i},${prefix}-${i}@example.com,${i % every === 0 ? `Bulk-pass-${i}-x` : ""}`);
  return lines.join("\n") + "\n";
}

test("migration cockpit: a bulk import's progress and job page, then the migration page's charts under the CSP, what is left, the filtered list and the CSV", async ({ envAdminPage: page }, testInfo) => {
  test.setTimeout(180_000);
  const problems: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  await page.addInitScript(() => {
    const w = window as unknown as { __cspViolations: string[] };
    w.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => w.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const prefix = `mig${Date.now().toString(36)}`;

  // A bulk import through the wizard: its progress while it runs, then its job page.
  const wizard = new BulkImportPage(page, D);
  await wizard.goto();
  await wizard.chooseFile(`${prefix}.csv`, bigFile(`${prefix}-bulk`, 5_000, 16));
  await expect(wizard.mapping("username")).toHaveValue("username");
  await expect(wizard.mapping("password")).toHaveValue("password.value");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  // Once the file is in, the job's progress (rows/s, time left), or its end if it was quicker.
  await expect(page).toHaveURL(/\?job=[0-9a-f-]{36}/, { timeout: 90_000 });
  const jobId = new URL(page.url()).searchParams.get("job")!;
  await expect(page.getByRole("progressbar", { name: /^[1-9][\d,]* of [\d,]+ rows/ }).or(page.getByRole("heading", { name: /^Import: completed/ }))).toBeVisible({ timeout: 60_000 });
  await snap(page, testInfo, "wizard-progress");
  await expect(page.getByRole("heading", { name: /^Import: completed/ })).toBeVisible({ timeout: 120_000 });
  await expect(wizard.count("Created")).toHaveText("5,000");
  await snap(page, testInfo, "job-page");

  // Legacy users, one of whom signs on (the check upgrades the hash), and one argon2id user.
  const pops = (await (await page.request.get(`/environments/${D}/populations`)).json()) as { _embedded: { populations: { id: string; default?: boolean; name: string }[] } };
  const population = pops._embedded.populations.find((p) => p.name === "Default") ?? pops._embedded.populations[0]!;
  const ids: Record<string, string> = {};
  for (const [name, value] of [
    ["waiting", ssha("Waiting-pass-1")],
    ["signed-on", ssha("Signed-on-pass-1")],
    ["clear", "Clear-pass-1"],
  ] as const) {
    const res = await page.request.post(`/environments/${D}/users`, { headers: { "content-type": IMPORT }, data: JSON.stringify({ username: `${prefix}-${name}`, population: { id: population.id }, password: { value } }) });
    expect(res.status(), await res.text()).toBe(201);
    ids[name] = ((await res.json()) as { id: string }).id;
  }
  const checked = await page.request.post(`/environments/${D}/users/${ids["signed-on"]}/password`, { headers: { "content-type": CHECK }, data: JSON.stringify({ password: "Signed-on-pass-1" }) });
  expect(checked.status(), await checked.text()).toBe(200);

  const api = await page.request.get(`/environments/${D}/migration`);
  expect(api.status()).toBe(200);
  const numbers = (await api.json()) as { users: { total: number; legacy: { scheme: string; count: number }[] }; migrations: { upgraded: number }; remaining: { neverChecked: number } };
  expect(numbers.migrations.upgraded).toBeGreaterThanOrEqual(1);

  const res = await page.goto(`/console/environments/${D}/migration`);
  expect(res?.headers()["content-security-policy"]).toContain("default-src 'self'");
  await expect(page.getByRole("heading", { name: "Migration", exact: true })).toBeVisible();
  // The charts are drawn (server-side SVG) and say what they show.
  for (const chart of ["password-states", "migrations-per-day", "import-jobs"]) {
    const svg = page.locator(`svg[data-chart="${chart}"]`);
    await expect(svg).toBeVisible();
    expect(await svg.locator("rect").count()).toBeGreaterThan(0);
    expect((await svg.getAttribute("aria-label"))?.length).toBeGreaterThan(20);
  }
  const states = page.getByRole("table", { name: "Users by password state" });
  await expect(states.getByRole("row", { name: /^SSHA waiting for first check/ })).toContainText(numbers.users.legacy.find((l) => l.scheme === "SSHA")!.count.toLocaleString("en-US"));
  await expect(states.getByRole("row", { name: /^All users/ })).toContainText(numbers.users.total.toLocaleString("en-US"));
  await expect(page.getByTestId("never-checked")).toHaveText(numbers.remaining.neverChecked.toLocaleString("en-US"));
  await expect(page.locator('svg[data-chart="migrations-per-day"]')).toHaveAttribute("aria-label", new RegExp(`${numbers.migrations.upgraded.toLocaleString("en-US")} legacy hashes upgraded`));
  await page.getByText("Numbers per day").click();
  await expect(page.getByRole("table", { name: "Migrations per day" }).getByRole("row", { name: new RegExp(new Date().toISOString().slice(0, 10)) })).toBeVisible();
  await snap(page, testInfo, "migration-page");

  // Nothing the page does is blocked by the CSP, and nothing failed in the browser.
  expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
  expect(problems).toEqual([]);

  // The job links to its job page.
  const jobs = page.getByRole("table", { name: "Import jobs" });
  await jobs.getByRole("link", { name: `${prefix}.csv` }).click();
  await expect(page).toHaveURL(new RegExp(`/imports/new\\?job=${jobId}$`));
  await expect(page.getByRole("heading", { name: /^Import: completed/ })).toBeVisible();
  await page.goBack();

  // What is left: the users list filtered to the never-checked ones, and the CSV of them.
  await page.getByRole("link", { name: "Show these users" }).click();
  await expect(page).toHaveURL(/\/users\?checked=never$/);
  await expect(page.getByLabel("Password check")).toHaveValue("never");
  await page.getByLabel("Search").fill(`${prefix}-waiting`);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(/checked=never/);
  const list = page.getByRole("table", { name: "Users" });
  await expect(list.getByRole("link", { name: `${prefix}-waiting` })).toBeVisible();
  // The user who signed on is not among them, though the search alone finds it.
  await page.goto(`/console/environments/${D}/users?q=${prefix}-signed-on`);
  await expect(list.getByRole("link", { name: `${prefix}-signed-on` })).toBeVisible();
  await page.goto(`/console/environments/${D}/users?q=${prefix}-signed-on&checked=never`);
  await expect(page.getByText("No users match")).toBeVisible();
  await page.goto(`/console/environments/${D}/users?q=${prefix}-&checked=never`);
  await expect(list.locator("tbody tr")).toHaveCount(25);
  await snap(page, testInfo, "users-never-checked");

  await page.goto(`/console/environments/${D}/migration`);
  const href = await page.getByRole("link", { name: "Export them (CSV)" }).getAttribute("href");
  const exported = await page.request.get(href!);
  expect(exported.status()).toBe(200);
  expect(exported.headers()["content-type"]).toMatch(/^text\/csv/);
  const lines = (await exported.text()).trimEnd().split("\r\n");
  expect(lines[0]).toBe("id,username,email,populationId,populationName,passwordStatus,passwordScheme,createdAt");
  expect(lines).toHaveLength(numbers.remaining.neverChecked + 1);
  expect(lines.some((l) => l.startsWith(`${ids.waiting},${prefix}-waiting,`))).toBe(true);
  expect(lines.some((l) => l.startsWith(ids["signed-on"]!))).toBe(false);
});

test("the read-only administrator sees the migration page; the Contractors administrator sees only the Contractors population", async ({ envAdminPage, readOnlyPage, popAdminPage }) => {
  // A never-checked user outside the Contractors population.
  const pops = (await (await envAdminPage.request.get(`/environments/${D}/populations`)).json()) as { _embedded: { populations: { id: string; name: string }[] } };
  const outside = pops._embedded.populations.find((p) => p.name === "Default")!;
  const made = await envAdminPage.request.post(`/environments/${D}/users`, { headers: { "content-type": IMPORT }, data: JSON.stringify({ username: `outside${Date.now().toString(36)}`, population: { id: outside.id } }) });
  expect(made.status(), await made.text()).toBe(201);

  await readOnlyPage.goto(`/console/environments/${D}/migration`);
  await expect(readOnlyPage.getByRole("heading", { name: "Migration", exact: true })).toBeVisible();
  const all = Number((await readOnlyPage.getByTestId("never-checked").textContent())!.replace(/,/g, ""));

  await popAdminPage.goto(`/console/environments/${D}/migration`);
  await expect(popAdminPage.getByRole("heading", { name: "Migration", exact: true })).toBeVisible();
  const mine = Number((await popAdminPage.getByTestId("never-checked").textContent())!.replace(/,/g, ""));
  expect(mine).toBeLessThan(all);
  const api = await popAdminPage.request.get(`/environments/${D}/migration`);
  expect(((await api.json()) as { remaining: { neverChecked: number } }).remaining.neverChecked).toBe(mine);
});

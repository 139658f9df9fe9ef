import { test, expect } from "./fixtures";

test.describe("API reference and the console under its Content-Security-Policy", () => {
  test("renders /console/api: grouped operations with their schemas, no CSP violation, scripts running", async ({ envAdminPage: page }) => {
    await page.addInitScript(() => {
      const w = window as unknown as { __cspViolations: string[] };
      w.__cspViolations = [];
      document.addEventListener("securitypolicyviolation", (e) => w.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const res = await page.goto("/console/api");
    expect(res?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    await expect(page.getByRole("heading", { name: "API reference" })).toBeVisible();
    for (const section of ["OAuth", "Users", "Passwords", "Bulk import", "Access", "Operations", "Schemas"]) {
      await expect(page.getByRole("heading", { name: section, exact: true })).toBeVisible();
    }
    expect(await page.getByTestId("api-operation").count()).toBeGreaterThan(20);

    const importOp = page.getByTestId("api-operation").filter({ hasText: "Create User (Import) or plain Create User" });
    await importOp.locator("summary").click();
    await expect(importOp.getByText("application/vnd.pingidentity.user.import+json")).toBeVisible();
    await importOp.getByRole("link", { name: "UserImport" }).click();
    await expect(page.locator("#schema-UserImport pre")).toContainText('"username"');

    // Next's inline bootstrap scripts ran (the flight data array exists) and nothing was blocked.
    expect(await page.evaluate(() => Array.isArray((self as unknown as { __next_f?: unknown[] }).__next_f))).toBe(true);
    expect(await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([]);
  });
});

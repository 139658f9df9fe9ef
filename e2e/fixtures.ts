import { test as base, expect, type Browser, type Page } from "@playwright/test";
import { CREDENTIALS, type Role } from "./support/constants";
import { LoginPage } from "./pages/login-page";
import { ConsoleShell } from "./pages/console-shell";

async function signedIn(browser: Browser, role: Role): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(CREDENTIALS[role].username, CREDENTIALS[role].password);
  await expect(page).toHaveURL(/\/console\/environments/);
  await new ConsoleShell(page).expectSignedInAs(CREDENTIALS[role].username);
  return page;
}

/** A browser page signed in as each kind of administrator, each in its own context (cookies). */
export const test = base.extend<{ envAdminPage: Page; popAdminPage: Page; readOnlyPage: Page }>({
  envAdminPage: async ({ browser }, provide) => {
    const page = await signedIn(browser, "envAdmin");
    await provide(page);
    await page.context().close();
  },
  popAdminPage: async ({ browser }, provide) => {
    const page = await signedIn(browser, "popAdmin");
    await provide(page);
    await page.context().close();
  },
  readOnlyPage: async ({ browser }, provide) => {
    const page = await signedIn(browser, "readOnly");
    await provide(page);
    await page.context().close();
  },
});

export { expect };

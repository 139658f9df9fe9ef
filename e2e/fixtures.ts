import { test as base, expect, type Browser, type Page } from "@playwright/test";
import { CREDENTIALS, authStateFile, type Role } from "./support/constants";
import { ConsoleShell } from "./pages/console-shell";

/**
 * A page of its own browser context, signed in as `role` through the session the setup project
 * saved (seed.setup.ts signs each role in once through the form), opened on the console.
 */
async function signedIn(browser: Browser, role: Role): Promise<Page> {
  const context = await browser.newContext({ storageState: authStateFile(role) });
  const page = await context.newPage();
  await page.goto("/console/environments");
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

import { expect, type Page } from "@playwright/test";

/** The console frame around every page: navigation and sign-out. */
export class ConsoleShell {
  constructor(readonly page: Page) {}

  nav() {
    return this.page.getByRole("navigation", { name: "Console" }).first();
  }

  async expectSignedInAs(username: string) {
    await expect(this.page.getByTestId("signed-in-as")).toContainText(username);
  }

  async signOut() {
    await this.page.getByRole("button", { name: "Sign out" }).click();
    await expect(this.page).toHaveURL(/\/login/);
  }
}

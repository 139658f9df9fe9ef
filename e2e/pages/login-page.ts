import { expect, type Page } from "@playwright/test";

export class LoginPage {
  constructor(readonly page: Page) {}

  async goto() {
    await this.page.goto("/login");
    await expect(this.page.getByRole("heading", { name: "Sign in to the console" })).toBeVisible();
  }

  async signIn(username: string, password: string) {
    await this.page.getByLabel("Username").fill(username);
    await this.page.getByLabel("Password").fill(password);
    const button = this.page.getByRole("button", { name: /Sign in|Signing in/ });
    // Wait for the server action's answer and for the form to settle (React resets it then),
    // so that the next step does not type into a form about to be reset.
    await Promise.all([
      this.page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login"),
      button.click(),
    ]);
    await expect(this.page.getByRole("button", { name: "Signing in…" })).toHaveCount(0);
  }

  error() {
    return this.page.locator("#login-error").getByRole("alert");
  }
}

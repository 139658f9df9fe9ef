import { expect, type Page } from "@playwright/test";

export class UsersPage {
  constructor(readonly page: Page, readonly envId: string) {}

  async goto(search?: { q?: string; population?: string }) {
    const qs = new URLSearchParams(Object.entries(search ?? {}).filter(([, v]) => v) as [string, string][]);
    await this.page.goto(`/console/environments/${this.envId}/users${qs.size ? `?${qs}` : ""}`);
    await expect(this.page.getByRole("heading", { name: "Users", exact: true })).toBeVisible();
  }

  async search(q: string) {
    await this.page.getByLabel("Search").fill(q);
    await this.page.getByRole("button", { name: "Apply" }).click();
    await expect(this.page).toHaveURL(new RegExp(`q=${encodeURIComponent(q)}`));
  }

  row(username: string) {
    return this.page.getByRole("row").filter({ has: this.page.getByRole("link", { name: username, exact: true }) });
  }

  importLink() {
    return this.page.getByRole("link", { name: "Import user" });
  }
}

import { expect, type Page } from "@playwright/test";

export class RoleAssignmentsPage {
  constructor(readonly page: Page, readonly envId: string) {}

  async goto() {
    await this.page.goto(`/console/environments/${this.envId}/role-assignments`);
    await expect(this.page.getByRole("heading", { name: "Role assignments" })).toBeVisible();
  }

  async assign(subject: string, role: string, scope: string) {
    await this.page.getByRole("combobox", { name: "User or application", exact: true }).selectOption({ label: subject });
    await this.page.getByRole("combobox", { name: "Role", exact: true }).selectOption({ label: role });
    await this.page.getByRole("combobox", { name: "Scope", exact: true }).selectOption({ label: scope });
    await this.page.getByRole("button", { name: "Assign role" }).click();
    await expect(this.page.getByRole("status").filter({ hasText: `${subject} is now ${role}` })).toBeVisible();
  }
}

import { expect, type Page } from "@playwright/test";

/** The bulk import wizard (/console/environments/{envID}/imports/new). */
export class BulkImportPage {
  constructor(readonly page: Page, readonly envId: string) {}

  async goto() {
    await this.page.goto(`/console/environments/${this.envId}/imports/new`);
    await expect(this.page.getByRole("heading", { name: "Bulk import" })).toBeVisible();
  }

  async chooseFile(name: string, content: string) {
    await this.page.getByLabel("File to import").setInputFiles({ name, mimeType: "text/csv", buffer: Buffer.from(content, "utf8") });
  }

  mapping(column: string) {
    return this.page.getByLabel(`Attribute for column ${column}`);
  }

  count(label: string) {
    return this.page.locator("dt", { hasText: new RegExp(`^${label}$`) }).locator("xpath=following-sibling::dd");
  }

  errorRows() {
    return this.page.getByRole("table", { name: "Rows with errors" }).locator("tbody tr");
  }

  jobTitle() {
    return this.page.getByRole("heading", { name: /dry run|Import:/ });
  }
}

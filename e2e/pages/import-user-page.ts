import { expect, type Page, type Request } from "@playwright/test";

export type ImportValues = {
  username: string;
  email?: string;
  given?: string;
  family?: string;
  population?: string;
  password?: string;
};

export class ImportUserPage {
  constructor(readonly page: Page, readonly envId: string) {}

  url() {
    return `/console/environments/${this.envId}/users/new`;
  }

  async goto() {
    await this.page.goto(this.url());
    await expect(this.page.getByRole("heading", { name: "Import a user" })).toBeVisible();
  }

  username() {
    return this.page.getByLabel("Username", { exact: true });
  }

  population() {
    return this.page.getByLabel("Population", { exact: true });
  }

  async fill(v: ImportValues) {
    await this.username().fill(v.username);
    if (v.email) await this.page.getByLabel("Email", { exact: true }).fill(v.email);
    if (v.given) await this.page.getByLabel("Given name").fill(v.given);
    if (v.family) await this.page.getByLabel("Family name").fill(v.family);
    if (v.population) await this.population().selectOption({ label: v.population });
    if (v.password) await this.page.getByLabel("Password", { exact: true }).fill(v.password);
  }

  async submit() {
    await this.page.getByRole("button", { name: "Import user" }).click();
  }

  /** The error text tied to a field through aria-describedby. */
  async fieldError(label: string) {
    const field = this.page.getByLabel(label, { exact: true });
    await expect(field).toHaveAttribute("aria-invalid", "true");
    const ids = ((await field.getAttribute("aria-describedby")) ?? "").split(/\s+/).filter(Boolean);
    const texts = await Promise.all(ids.map((id) => this.page.locator(`[id="${id}"]`).innerText()));
    return texts.join(" ").trim();
  }

  /**
   * Submits the filled form but stops the request in the browser, returning it: what a client
   * would POST to the server action, to replay under another administrator's session.
   */
  async captureSubmission(): Promise<{ url: string; headers: Record<string, string>; body: string }> {
    let captured: Request | undefined;
    await this.page.route(`**${this.url()}`, async (route) => {
      if (route.request().method() === "POST") {
        captured = route.request();
        await route.abort();
      } else {
        await route.continue();
      }
    });
    await this.submit();
    await expect.poll(() => captured !== undefined).toBe(true);
    await this.page.unroute(`**${this.url()}`);
    const req = captured!;
    return { url: req.url(), headers: await req.allHeaders(), body: req.postData() ?? "" };
  }
}

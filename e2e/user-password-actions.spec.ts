import type { APIRequestContext } from "@playwright/test";
import { test, expect } from "./fixtures";
import { E2E } from "./support/constants";
import { snap } from "./support/snap";

/**
 * The user page's password and verification actions, and the development mailbox (spec 4):
 * resend a verification email and read its code on /console/mailbox, force a password change,
 * set a password (policy errors on the field). Readers see no actions; a population-scoped
 * admin sees neither other populations' users nor their mail.
 */
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const SSHA = { encoded: "{SSHA}+uWzzjAkOVO9cuH389YvyFAUk96OHx93", password: "correct horse battery staple" };

async function importUser(request: APIRequestContext, body: Record<string, unknown>): Promise<string> {
  const pops = await request.get(`/environments/${E2E.demoEnvId}/populations`);
  const populationId = ((await pops.json()) as { _embedded: { populations: { id: string; name: string }[] } })._embedded.populations.find((p) => p.name === "Default")!.id;
  const res = await request.post(`/environments/${E2E.demoEnvId}/users`, {
    headers: { "content-type": "application/vnd.pingidentity.user.import+json" },
    data: JSON.stringify({ population: { id: populationId }, ...body }),
  });
  expect(res.status(), await res.text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

test("resends a verification email, whose code is read in the mailbox and verifies the user", async ({ envAdminPage: page }, testInfo) => {
  const username = unique("verify");
  const email = `${username}@example.com`;
  const id = await importUser(page.request, { username, email, lifecycle: { status: "VERIFICATION_REQUIRED" }, password: { value: SSHA.encoded } });

  await page.goto(`/console/environments/${E2E.demoEnvId}/users/${id}`);
  await expect(page.getByRole("heading", { name: "Password and verification actions" })).toBeVisible();
  await page.getByRole("button", { name: "Resend verification email" }).click();
  await expect(page.getByText("A new verification code was sent.")).toBeVisible();
  await snap(page, testInfo, "resent");

  await page.goto("/console/mailbox");
  const links = page.getByRole("link", { name: email });
  await expect(links).toHaveCount(2);
  await snap(page, testInfo, "mailbox");
  await links.first().click();
  await expect(page.getByTestId("mail-html")).toBeVisible();
  await expect(page.getByTestId("mail-html")).toHaveAttribute("sandbox", "");
  const code = (await page.getByTestId("mail-text").innerText()).match(/\b([A-Z0-9]{8})\b/)?.[1];
  expect(code).toBeTruthy();
  await snap(page, testInfo, "message");

  const verified = await page.request.post(`/environments/${E2E.demoEnvId}/users/${id}`, {
    headers: { "content-type": "application/vnd.pingidentity.user.verify+json" },
    data: JSON.stringify({ verificationCode: code }),
  });
  expect(verified.status()).toBe(200);
  expect(((await verified.json()) as { lifecycle: { status: string } }).lifecycle.status).toBe("ACCOUNT_OK");
});

test("forces a password change and sets a password, with the policy's error on the field", async ({ envAdminPage: page }, testInfo) => {
  const username = unique("pw");
  const id = await importUser(page.request, { username, password: { value: SSHA.encoded } });
  await page.goto(`/console/environments/${E2E.demoEnvId}/users/${id}`);

  await page.getByRole("button", { name: "Force password change" }).click();
  await expect(page.getByText("The user must change the password at the next sign-in.")).toBeVisible();
  await page.reload();
  await expect(page.getByText("MUST_CHANGE_PASSWORD")).toBeVisible();

  const field = page.getByLabel("New password or pre-encoded hash");
  await field.fill("short");
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page.getByText(/at least 8 characters/)).toBeVisible();
  await expect(field).toHaveAttribute("aria-invalid", "true");
  await snap(page, testInfo, "policy-error");

  await field.fill("a much better password");
  await page.getByRole("button", { name: "Set password" }).click();
  await expect(page.getByText("The password was set.")).toBeVisible();
  const checked = await page.request.post(`/environments/${E2E.demoEnvId}/users/${id}/password`, {
    headers: { "content-type": "application/vnd.pingidentity.password.check+json" },
    data: JSON.stringify({ password: "a much better password" }),
  });
  expect(checked.status()).toBe(200);
  await snap(page, testInfo, "password-set");
});

test("shows readers no actions and no mail, and hides other populations' mail from a scoped admin", async ({ envAdminPage, readOnlyPage, popAdminPage }) => {
  const username = unique("hidden");
  const email = `${username}@example.com`;
  const id = await importUser(envAdminPage.request, { username, email, lifecycle: { status: "VERIFICATION_REQUIRED" } });

  await readOnlyPage.goto(`/console/environments/${E2E.demoEnvId}/users/${id}`);
  await expect(readOnlyPage.getByRole("heading", { name: username })).toBeVisible();
  await expect(readOnlyPage.getByRole("heading", { name: "Password and verification actions" })).toHaveCount(0);
  // A message holds a code in clear: only those who may act on the user (users:write) see it.
  await readOnlyPage.goto("/console/mailbox");
  await expect(readOnlyPage.getByRole("heading", { name: "Mailbox" })).toBeVisible();
  await expect(readOnlyPage.getByRole("link", { name: email })).toHaveCount(0);
  await envAdminPage.goto("/console/mailbox");
  await expect(envAdminPage.getByRole("link", { name: email })).toHaveCount(1);

  await popAdminPage.goto("/console/mailbox");
  await expect(popAdminPage.getByRole("heading", { name: "Mailbox" })).toBeVisible();
  await expect(popAdminPage.getByRole("link", { name: email })).toHaveCount(0);
});

import { test, expect } from "./fixtures";
import { E2E } from "./support/constants";
import { snap } from "./support/snap";

const base = `/console/environments/${E2E.demoEnvId}`;

test("an Environment Admin creates an LDAP gateway and Test connection says in plain words what failed", async ({ envAdminPage: page }, testInfo) => {
  const name = `Old directory ${Date.now().toString(36)}`;
  const bindPassword = `bind-${Math.random().toString(36).slice(2)}-secret`;
  await page.goto(`${base}/gateways`);
  await page.getByLabel("Name").last().fill(name);
  // Port 1 on the loopback: nothing listens there, so the connection is refused at once.
  await page.getByLabel("Servers, in order").last().fill("127.0.0.1:1");
  await page.getByLabel("Bind DN (service account)").last().fill("cn=svc,dc=example,dc=com");
  await page.getByLabel("Bind password").last().fill(bindPassword);
  await page.getByRole("button", { name: "Create gateway" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Gateway ${name} created.` })).toBeVisible();
  await expect(page.getByText("127.0.0.1:1 · None · bound as cn=svc,dc=example,dc=com")).toBeVisible();

  await page.getByRole("button", { name: `Test the connection of ${name}` }).click();
  const report = page.getByTestId("connection-test-report");
  await expect(report).toContainText("Host unreachable: 127.0.0.1:1 refused the connection");
  await snap(page, testInfo, "gateway-test-connection");
  expect(await page.content()).not.toContain(bindPassword);
});

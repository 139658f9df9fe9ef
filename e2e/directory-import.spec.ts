import { test, expect } from "./fixtures";
import { E2E } from "./support/constants";
import { snap } from "./support/snap";
import { BulkImportPage } from "./pages/bulk-import-page";
import { PEOPLE, removeSlapd, startSlapd, type DirectoryUser, type Slapd } from "../test/support/slapd";

/**
 * "From a directory" (issue 13): an Environment Admin points the wizard at a gateway user type of
 * a real slapd, sees the first entries as they will be imported (read from the directory, never a
 * hash), validates (dry run: copied and linked counts, nothing written) and imports.
 */
let ldap: Slapd;
const prefix = `dir${Date.now().toString(36)}`;
const users: DirectoryUser[] = [
  ...Array.from({ length: 30 }, (_, i) => ({ uid: `${prefix}-${i}`, password: `Pw-${i}-secret`, mail: `${prefix}-${i}@example.com`, givenName: `Given${i}`, sn: `Family${i}` })),
  ...Array.from({ length: 5 }, (_, i) => ({ uid: `${prefix}-v${i}`, password: `Vault-${i}-secret`, branch: "vault" as const })),
];

test.beforeAll(async () => {
  ldap = await startSlapd({ users });
});
test.afterAll(async () => {
  await removeSlapd(ldap);
});

test("bulk import wizard from a directory: preview from slapd, dry run with copied and linked counts, import", async ({ envAdminPage: page }, testInfo) => {
  const pops = await (await page.request.get(`/environments/${E2E.demoEnvId}/populations`)).json();
  const populationId = pops._embedded.populations.find((p: { default: boolean }) => p.default).id;
  const gatewayName = `Directory ${prefix}`;
  const mappings = [
    { name: "username", value: "${ldapAttributes.uid}" },
    { name: "email", value: "${ldapAttributes.mail}" },
    { name: "name.given", value: "${ldapAttributes.givenName}" },
    { name: "name.family", value: "${ldapAttributes.sn}" },
  ];
  const created = await page.request.post(`/environments/${E2E.demoEnvId}/gateways`, {
    data: {
      name: gatewayName,
      type: "LDAP",
      servers: [ldap.server],
      bindDN: ldap.serviceDn,
      bindPassword: ldap.servicePassword,
      userTypes: [{ name: "Everyone", passwordAuthority: "LDAP", searchBaseDn: "dc=example,dc=com", orderedCorrelationAttributes: ["uid"], newUserLookup: { ldapFilterPattern: "(objectClass=inetOrgPerson)", population: { id: populationId }, attributeMappings: mappings } }],
    },
  });
  expect(created.status(), await created.text()).toBe(201);

  const wizard = new BulkImportPage(page, E2E.demoEnvId);
  await wizard.goto();
  await page.getByLabel("From a directory").check();
  await page.getByLabel("Gateway and user type").selectOption({ label: `${gatewayName} · Everyone (dc=example,dc=com)` });
  await page.getByLabel(/LDAP filter/).fill(`(uid=${prefix}-*)`);
  await expect(page.getByRole("button", { name: "Validate (dry run)" })).toBeDisabled();
  await page.getByRole("button", { name: "Preview the first entries" }).click();
  const preview = page.getByRole("table", { name: "Preview of mapped entries" });
  await expect(preview.locator("tbody tr")).toHaveCount(5);
  await expect(preview).toContainText(`uid=${prefix}-0,${PEOPLE}`);
  await expect(preview).toContainText(`${prefix}-0@example.com`);
  await expect(preview).toContainText("hash copied");
  await snap(page, testInfo, "directory-preview");

  await page.getByRole("button", { name: "Validate (dry run)" }).click();
  await expect(wizard.jobTitle()).toContainText("completed", { timeout: 60_000 });
  await expect(wizard.count("Rows")).toHaveText("35");
  await expect(wizard.count("Passwords copied")).toHaveText("30");
  await expect(wizard.count("Linked to the gateway")).toHaveText("5");

  await page.getByRole("button", { name: "Import the valid rows now" }).click();
  await expect(wizard.jobTitle()).toContainText(/Import: completed/, { timeout: 60_000 });
  await expect(wizard.count("Created")).toHaveText("35");
  await snap(page, testInfo, "directory-imported");
  const content = await page.content();
  expect(content).not.toContain("{SSHA}");
  expect(content).not.toContain(ldap.servicePassword);
});

test("bulk import wizard with an LDIF file: default mapping, a changetype other than add reported with its DN", async ({ envAdminPage: page }) => {
  const p = `ldif${Date.now().toString(36)}`;
  const ldif = [
    "version: 1",
    "# exported by hand",
    "",
    `dn: uid=${p}-a,ou=people,dc=example,dc=com`,
    "objectClass: inetOrgPerson",
    `uid: ${p}-a`,
    `cn:: ${Buffer.from("Zoë Ünïcode").toString("base64")}`,
    "sn: Ünïcode",
    `mail: ${p}-a@exa`,
    " mple.com",
    "",
    `dn: uid=${p}-b,ou=people,dc=example,dc=com`,
    "changetype: modify",
    "replace: mail",
    "mail: b@example.com",
    "-",
    "",
    "dn: ou=people,dc=example,dc=com",
    "objectClass: organizationalUnit",
    "ou: people",
    "",
  ].join("\n");
  const wizard = new BulkImportPage(page, E2E.demoEnvId);
  await wizard.goto();
  await page.getByLabel("File to import").setInputFiles({ name: `${p}.ldif`, mimeType: "text/ldif", buffer: Buffer.from(ldif, "utf8") });
  await expect(page.getByLabel("Map the entries by")).toHaveValue("");
  await page.getByRole("button", { name: "Validate (dry run)" }).click();
  await expect(wizard.jobTitle()).toContainText("completed", { timeout: 60_000 });
  await expect(wizard.count("Rows")).toHaveText("2");
  await expect(wizard.count("Valid")).toHaveText("1");
  await expect(wizard.count("Failed")).toHaveText("1");
  await expect(wizard.errorRows()).toHaveCount(1);
  await expect(wizard.errorRows().first()).toContainText(`changetype: modify`);
  await expect(wizard.errorRows().first()).toContainText(`DN: uid=${p}-b,ou=people,dc=example,dc=com`);
});

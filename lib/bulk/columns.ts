/**
 * The attribute paths a bulk CSV header may name (spec 2.1), for the console wizard's column
 * mapping and CSV template. Browser-safe: no server imports.
 */
export const BULK_COLUMN_PATHS = [
  "username", "email", "population.id", "password", "password.forceChange", "lifecycle.status", "enabled", "emailVerified",
  "mfaEnabled", "name.given", "name.family", "name.middle", "name.formatted", "name.honorificPrefix", "name.honorificSuffix",
  "nickname", "title", "locale", "preferredLanguage", "timezone", "externalId", "primaryPhone", "mobilePhone",
  "address.streetAddress", "address.locality", "address.region", "address.postalCode", "address.countryCode", "photo.href",
  "identityProvider.id",
] as const;

/** Guesses the attribute path of a header cell: exact, then case- and punctuation-insensitive. */
export function matchColumn(header: string): string | null {
  const h = header.trim();
  if ((BULK_COLUMN_PATHS as readonly string[]).includes(h)) return h;
  const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
  const aliases: Record<string, string> = {
    user: "username", login: "username", uid: "username", mail: "email", emailaddress: "email", firstname: "name.given",
    givenname: "name.given", lastname: "name.family", surname: "name.family", familyname: "name.family", population: "population.id",
    populationid: "population.id", passwordvalue: "password", phone: "primaryPhone", mobile: "mobilePhone",
  };
  const n = norm(h);
  return BULK_COLUMN_PATHS.find((p) => norm(p) === n) ?? aliases[n] ?? null;
}

export const CSV_TEMPLATE = "username,email,name.given,name.family,population.id,password,lifecycle.status\r\n" +
  "jdoe,jdoe@example.com,Jane,Doe,,{SSHA512}...,ACCOUNT_OK\r\n";

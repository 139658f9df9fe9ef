import { USER_ATTRIBUTE_PATHS } from "@/lib/users/attributes";

/**
 * The columns of a bulk CSV file: which attribute paths a header may name (every one the import
 * schema has, derived from it), the shorthands a header may use, and the guess the wizard offers
 * for a header that names no path. Browser-safe: no server imports.
 */
export const BULK_COLUMN_PATHS: readonly string[] = USER_ATTRIBUTE_PATHS;

/** Header cells that are shorthands for a longer attribute path, accepted as they are in a header. */
export const COLUMN_ALIASES: Readonly<Record<string, string>> = { password: "password.value", population: "population.id" };

/** The attribute path a header cell names: itself, or what its shorthand stands for. */
export function columnPath(header: string): string {
  const name = header.trim();
  return COLUMN_ALIASES[name] ?? name;
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");

// Names other systems' exports use, by their case- and punctuation-free form.
const GUESSES: Record<string, string> = {
  ...Object.fromEntries(Object.entries(COLUMN_ALIASES).map(([k, v]) => [norm(k), v])),
  user: "username", login: "username", uid: "username", mail: "email", emailaddress: "email", firstname: "name.given",
  givenname: "name.given", lastname: "name.family", surname: "name.family", familyname: "name.family",
  populationid: "population.id", passwordvalue: "password.value", phone: "primaryPhone", mobile: "mobilePhone",
};

/** Guesses the attribute path of a header cell: exact, then case- and punctuation-insensitive. */
export function guessColumn(header: string): string | null {
  const h = header.trim();
  if (BULK_COLUMN_PATHS.includes(h)) return h;
  const n = norm(h);
  return BULK_COLUMN_PATHS.find((p) => norm(p) === n) ?? GUESSES[n] ?? null;
}

/** How much of a file's beginning the wizard sends to have its header row read (a header is far shorter). */
export const CSV_HEADER_BYTES = 64 * 1024;

export const CSV_TEMPLATE = "username,email,name.given,name.family,population.id,password,lifecycle.status\r\n" +
  "jdoe,jdoe@example.com,Jane,Doe,,{SSHA512}...,ACCOUNT_OK\r\n";

import "server-only";
import type { ExternalPassword, PasswordStatus, UserRow } from "@/db/schema";
import { PROFILE_FIELDS, type UserImportInput } from "./schema";

/**
 * The one place that turns an accepted import into a complete user row: every column set, each
 * default of spec 2.1 written here once (the writers add none of their own).
 */
export type NewUserParts = {
  id: string;
  environmentId: string;
  populationId: string;
  input: UserImportInput;
  identityProviderId: string | null;
  /** The stored password (argon2id or pre-encoded as given); null for none. */
  passwordHash: string | null;
  externalPassword: ExternalPassword | null;
  now: Date;
};

export function newUserRow(p: NewUserParts): UserRow {
  const { input } = p;
  return {
    id: p.id,
    environmentId: p.environmentId,
    populationId: p.populationId,
    username: input.username,
    email: input.email ?? null,
    emailVerified: input.emailVerified ?? false,
    enabled: input.enabled ?? true,
    mfaEnabled: input.mfaEnabled ?? false,
    lifecycleStatus: input.lifecycle?.status ?? "ACCOUNT_OK",
    identityProviderId: p.identityProviderId,
    profile: profileOf(input),
    passwordHash: p.passwordHash,
    passwordStatus: passwordStatusOf(p.passwordHash, p.externalPassword, input.password?.forceChange ?? false),
    passwordChangedAt: p.passwordHash ? p.now : null,
    externalPassword: p.externalPassword,
    createdAt: p.now,
    updatedAt: p.now,
  };
}

function passwordStatusOf(hash: string | null, external: ExternalPassword | null, forceChange: boolean): PasswordStatus {
  if (external) return "EXTERNAL";
  if (!hash) return "NO_PASSWORD";
  return forceChange ? "MUST_CHANGE_PASSWORD" : "OK";
}

/** The profile document of a body: the profile attributes that are set, empty objects left out. */
export function profileOf(input: Pick<UserImportInput, (typeof PROFILE_FIELDS)[number]>): Record<string, unknown> {
  const profile: Record<string, unknown> = {};
  for (const key of PROFILE_FIELDS) {
    const v = input[key];
    if (v === undefined || v === null) continue;
    if (typeof v === "object") {
      const inner = Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined && x !== null));
      if (Object.keys(inner).length) profile[key] = inner;
    } else {
      profile[key] = v;
    }
  }
  return profile;
}

/**
 * An update's profile over the stored one (onConflict=update): attributes the row sets replace
 * the stored ones; inside name, address and photo, only the parts the row sets (a row with
 * name.given keeps the stored name.family).
 */
export function mergedProfile(stored: Record<string, unknown>, update: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...stored };
  for (const [key, value] of Object.entries(update)) {
    const before = out[key];
    out[key] =
      value && typeof value === "object" && before && typeof before === "object" && !Array.isArray(before)
        ? { ...(before as Record<string, unknown>), ...(value as Record<string, unknown>) }
        : value;
  }
  return out;
}

export const MAX_PROFILE_BYTES = 16 * 1024;

export function profileTooLarge(profile: Record<string, unknown>): boolean {
  return new TextEncoder().encode(JSON.stringify(profile)).byteLength > MAX_PROFILE_BYTES;
}

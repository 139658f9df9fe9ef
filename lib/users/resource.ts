import type { IdentityProviderType, UserRow } from "@/db/schema";
import { PROFILE_FIELDS } from "./schema";

/**
 * The one serializer of a user (spec 2.5). It reads the columns it names and nothing else, so
 * the password hash, verification codes and gateway secrets cannot reach a response.
 */
export type UserResourceSource = Pick<
  UserRow,
  | "id" | "environmentId" | "populationId" | "username" | "email" | "emailVerified" | "enabled"
  | "mfaEnabled" | "lifecycleStatus" | "identityProviderId" | "profile" | "createdAt" | "updatedAt"
> & { identityProviderType: IdentityProviderType | null };

export type UserResource = ReturnType<typeof toUserResource>;

export function toUserResource(u: UserResourceSource, base: string) {
  const self = `${base}/environments/${u.environmentId}/users/${u.id}`;
  const profile: Record<string, unknown> = {};
  for (const key of PROFILE_FIELDS) {
    const v = u.profile[key];
    if (v !== undefined && v !== null) profile[key] = v;
  }
  return {
    _links: {
      self: { href: self },
      password: { href: `${self}/password` },
      "password.set": { href: `${self}/password` },
      "password.check": { href: `${self}/password` },
      "account.sendVerificationCode": { href: self },
    },
    id: u.id,
    environment: { id: u.environmentId },
    population: { id: u.populationId },
    username: u.username,
    ...(u.email ? { email: u.email } : {}),
    emailVerified: u.emailVerified,
    ...profile,
    enabled: u.enabled,
    mfaEnabled: u.mfaEnabled,
    lifecycle: { status: u.lifecycleStatus },
    identityProvider: u.identityProviderId
      ? { type: u.identityProviderType ?? "OPENID_CONNECT", id: u.identityProviderId }
      : { type: "PING_ONE" as const },
    account: { canAuthenticate: u.enabled, status: "OK" as const },
    verifyStatus: "NOT_INITIATED" as const,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

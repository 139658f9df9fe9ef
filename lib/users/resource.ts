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
      population: { href: `${base}/environments/${u.environmentId}/populations/${u.populationId}` },
      "population.update": { href: `${self}/population` },
      enabled: { href: `${self}/enabled` },
      identityProvider: { href: `${self}/identityProvider` },
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
    identityProvider: identityProviderOf(u),
    account: { canAuthenticate: u.enabled, status: "OK" as const },
    verifyStatus: "NOT_INITIATED" as const,
    createdAt: u.createdAt.toISOString(),
    updatedAt: u.updatedAt.toISOString(),
  };
}

function identityProviderOf(u: Pick<UserResourceSource, "identityProviderId" | "identityProviderType">) {
  return u.identityProviderId ? { type: u.identityProviderType ?? "OPENID_CONNECT", id: u.identityProviderId } : { type: "PING_ONE" as const };
}

const subLinks = (u: Pick<UserResourceSource, "id" | "environmentId">, base: string, name: string) => {
  const user = `${base}/environments/${u.environmentId}/users/${u.id}`;
  return { self: { href: `${user}/${name}` }, user: { href: user } };
};

/** Read/Update User Enabled: `{_links, enabled}`, as PingOne answers. */
export function userEnabledResource(u: Pick<UserResourceSource, "id" | "environmentId">, enabled: boolean, base: string) {
  return { _links: subLinks(u, base, "enabled"), enabled };
}

/** Read User Identity Provider: `{_links, type, id?}`. */
export function userIdentityProviderResource(u: Pick<UserResourceSource, "id" | "environmentId" | "identityProviderId" | "identityProviderType">, base: string) {
  return { _links: subLinks(u, base, "identityProvider"), ...identityProviderOf(u) };
}

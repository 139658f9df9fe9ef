import "server-only";
import { and, eq } from "drizzle-orm";
import { getDb } from "@/db";
import { gatewayUserTypes, gateways, identityProviders, populations, users, type PasswordStatus } from "@/db/schema";
import type { Actor } from "@/lib/access";
import { getUser } from "./queries";
import { toUserResource, type UserResource } from "./resource";

export type UserDetails = {
  resource: UserResource;
  populationName: string | null;
  identityProviderName: string | null;
  password: {
    status: PasswordStatus;
    changedAt: Date | null;
    /** Where the password is checked when it is not stored here; ids and link values only. */
    external: { gatewayName: string | null; userTypeName: string | null; correlationAttributes: Record<string, string> } | null;
  };
};

/**
 * The console's user page: the user resource (the one serializer) plus password status and the
 * names of what it refers to. Access and scope are getUser's; no hash is ever selected.
 */
export async function getUserDetails(actor: Actor, environmentId: string, userId: string): Promise<UserDetails> {
  const user = await getUser(actor, environmentId, userId);
  const db = await getDb();
  const [extra] = await db
    .select({
      passwordStatus: users.passwordStatus,
      passwordChangedAt: users.passwordChangedAt,
      externalPassword: users.externalPassword,
      populationName: populations.name,
      identityProviderName: identityProviders.name,
    })
    .from(users)
    .leftJoin(populations, eq(populations.id, users.populationId))
    .leftJoin(identityProviders, eq(identityProviders.id, users.identityProviderId))
    .where(and(eq(users.id, user.id), eq(users.environmentId, environmentId)));
  let external: UserDetails["password"]["external"] = null;
  if (extra?.externalPassword) {
    const ext = extra.externalPassword;
    const [names] = await db
      .select({ gatewayName: gateways.name, userTypeName: gatewayUserTypes.name })
      .from(gateways)
      .leftJoin(gatewayUserTypes, and(eq(gatewayUserTypes.gatewayId, gateways.id), eq(gatewayUserTypes.id, ext.userTypeId)))
      .where(eq(gateways.id, ext.gatewayId));
    external = { gatewayName: names?.gatewayName ?? null, userTypeName: names?.userTypeName ?? null, correlationAttributes: ext.correlationAttributes ?? {} };
  }
  return {
    resource: toUserResource(user, ""),
    populationName: extra?.populationName ?? null,
    identityProviderName: extra?.identityProviderName ?? null,
    password: { status: extra?.passwordStatus ?? "NO_PASSWORD", changedAt: extra?.passwordChangedAt ?? null, external },
  };
}

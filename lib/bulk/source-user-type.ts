import "server-only";
import { and, eq } from "drizzle-orm";
import { getDb } from "@/db";
import { gatewayUserTypes, gateways } from "@/db/schema";
import { invalidData } from "@/lib/api/errors";
import { isUuid } from "@/lib/ids";
import { loadLink, type LoadedLink } from "@/lib/gateways/links";
import type { EntryMapping } from "./entry-rows";

/** The user type (and its gateway) a directory job or an LDIF file names, in the environment; else a 400 naming the field. */
export async function loadSourceUserType(environmentId: string, userTypeId: string, gatewayId: string | null, targets = { gateway: "source.gateway.id", userType: "source.userType.id" }): Promise<LoadedLink> {
  const db = await getDb();
  if (!isUuid(userTypeId)) throw invalidData([{ code: "INVALID_VALUE", target: targets.userType, message: "Must be a UUID." }]);
  const [found] = await db
    .select({ gatewayId: gatewayUserTypes.gatewayId })
    .from(gatewayUserTypes)
    .innerJoin(gateways, eq(gateways.id, gatewayUserTypes.gatewayId))
    .where(and(eq(gatewayUserTypes.id, userTypeId.toLowerCase()), eq(gateways.environmentId, environmentId)));
  if (gatewayId) {
    const [g] = await db.select({ id: gateways.id }).from(gateways).where(and(eq(gateways.id, gatewayId.toLowerCase()), eq(gateways.environmentId, environmentId)));
    if (!g) throw invalidData([{ code: "INVALID_VALUE", target: targets.gateway, message: "No gateway with this id exists in the environment." }]);
    if (found && found.gatewayId !== g.id) throw invalidData([{ code: "INVALID_VALUE", target: targets.userType, message: "The gateway has no user type with this id." }]);
  }
  if (!found) throw invalidData([{ code: "INVALID_VALUE", target: targets.userType, message: "No gateway user type with this id exists in the environment." }]);
  return loadLink(db, environmentId, { gatewayId: found.gatewayId, userTypeId: userTypeId.toLowerCase(), correlationAttributes: {} });
}

/** How the user type maps an entry (its attributeMappings, its population, its gateway link). */
export function entryMappingOf(link: LoadedLink): EntryMapping {
  const lookup = link.userType.newUserLookup;
  return {
    mappings: lookup?.attributeMappings?.length ? lookup.attributeMappings : null,
    populationId: lookup?.populationId ?? null,
    link: { gatewayId: link.gateway.id, userTypeId: link.userType.id, orderedCorrelationAttributes: link.userType.orderedCorrelationAttributes },
  };
}


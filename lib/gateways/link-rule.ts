import type { ExternalPassword } from "@/db/schema";
import { invalidData } from "@/lib/api/errors";

/**
 * The rule for a gateway link a caller sends (spec 5: import's password.external.gateway,
 * Set Password's setGateway): the gateway exists in the environment, the user type is one of its
 * own, and every correlation attribute is one of that user type's. `userTypes` holds what the
 * database says of the named gateway (its user types and their attributes), or undefined when
 * there is no such gateway; the caller reads it, one link at a time or for a whole batch.
 */
export function checkGatewayLink(
  link: { id: string; userType: { id: string }; correlationAttributes?: Record<string, string> | null },
  userTypes: ReadonlyMap<string, readonly string[]> | undefined,
  targetPrefix: string,
): ExternalPassword {
  if (!userTypes) throw invalidData([{ code: "INVALID_VALUE", target: `${targetPrefix}id`, message: "No gateway with this id exists in the environment." }]);
  const userTypeId = link.userType.id.toLowerCase();
  const attributes = userTypes.get(userTypeId);
  if (!attributes) throw invalidData([{ code: "INVALID_VALUE", target: `${targetPrefix}userType.id`, message: "The gateway has no user type with this id." }]);
  const allowed = new Set(attributes);
  const attrs = link.correlationAttributes ?? {};
  const unknown = Object.keys(attrs).filter((k) => !allowed.has(k));
  if (unknown.length) {
    throw invalidData(
      unknown.map((k) => ({
        code: "INVALID_VALUE" as const,
        target: `${targetPrefix}correlationAttributes.${k}`,
        message: `"${k}" is not a link attribute of this user type (allowed: ${[...allowed].join(", ") || "none"}).`,
      })),
    );
  }
  return { gatewayId: link.id.toLowerCase(), userTypeId, correlationAttributes: attrs };
}

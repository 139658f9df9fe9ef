import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { listBody } from "@/lib/api/lists";
import { allRoles, roleResource } from "@/lib/roles";

/** The roles that can be assigned (any authenticated caller may read them, as in PingOne). */
export const GET = route(async (req) => {
  await actorFromRequest(req);
  const base = apiBase(req);
  return json(listBody("roles", allRoles().map((r) => roleResource(base, r)), `${base}/roles`));
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

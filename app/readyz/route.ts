import { json, otherMethods, route } from "@/lib/api/http";
import { readiness } from "@/lib/health";

/** Readiness: the database is reachable and its migrations are current. No authentication, never rate-limited. */
export const GET = route(async () => {
  const r = await readiness();
  return json(r, r.status === "UP" ? 200 : 503);
}, { limits: [] });

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

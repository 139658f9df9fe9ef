import { json, otherMethods, route } from "@/lib/api/http";

/** Liveness: the process is up and serving. No authentication, no database, never rate-limited. */
export const GET = route(async () => json({ status: "UP" }), { limits: [] });

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

import { json } from "@/lib/api/http";
import { readiness } from "@/lib/health";

/** Readiness: the database is reachable and its migrations are current. No authentication. */
export async function GET(): Promise<Response> {
  const r = await readiness();
  return json(r, r.status === "UP" ? 200 : 503);
}

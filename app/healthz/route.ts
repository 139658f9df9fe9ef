import { json } from "@/lib/api/http";

/** Liveness: the process is up and serving. No authentication, no database. */
export function GET(): Response {
  return json({ status: "UP" });
}

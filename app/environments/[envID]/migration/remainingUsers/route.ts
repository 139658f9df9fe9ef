import { actorFromRequest } from "@/lib/auth/request-actor";
import { route, otherMethods } from "@/lib/api/http";
import { requireEnvironment } from "@/lib/environments";
import { remainingUsers } from "@/lib/migration";
import { remainingUsersCsv } from "@/lib/migration/csv";

/** The users never successfully checked since import, as CSV, streamed a page at a time. */
export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const users = remainingUsers(actor, envId);
  // The access check runs before the first byte, so that a refusal is a 403, not a cut stream.
  const first = await users.next();
  return new Response(remainingUsersCsv(users, first), {
    status: 200,
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="users-never-checked-${envId}.csv"`,
      "cache-control": "no-store",
    },
  });
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

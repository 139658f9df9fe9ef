import { actorFromRequest } from "@/lib/auth/request-actor";
import { ApiError } from "@/lib/api/errors";
import { apiBase, json, mediaType, readJson, route, otherMethods } from "@/lib/api/http";
import { listBody, parseLimit } from "@/lib/api/lists";
import { environmentIdFrom, requireEnvironment } from "@/lib/environments";
import { importUserRequest } from "@/lib/users/import-user";
import { IMPORT_MEDIA_TYPE } from "@/lib/users/media-types";
import { parseUserFilter } from "@/lib/users/filter";
import { decodeCursor, DEFAULT_PAGE_SIZE, listUsers, MAX_PAGE_SIZE } from "@/lib/users/queries";
import { toUserResource } from "@/lib/users/resource";

/** Create User (Import) and plain Create User: importUserRequest checks in the order of spec 2.2. */
export const POST = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const envId = environmentIdFrom(envID);
  const user = await importUserRequest(actor, envId, async () => {
    const type = mediaType(req);
    const mode = type === IMPORT_MEDIA_TYPE ? "import" : type === "application/json" ? "create" : null;
    if (!mode) {
      throw new ApiError(415, "INVALID_REQUEST", `Unsupported Content-Type: use ${IMPORT_MEDIA_TYPE} to import a user or application/json to create one.`);
    }
    return { mode, body: await readJson(req) };
  });
  const resource = toUserResource(user, apiBase(req));
  return json(resource, 201, { location: resource._links.self.href });
});

export const GET = route<{ envID: string }>(async (req, { envID }) => {
  const actor = await actorFromRequest(req);
  const { id: envId } = await requireEnvironment(envID);
  const url = new URL(req.url);
  const limit = parseLimit(url.searchParams.get("limit"), DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  const cursor = url.searchParams.get("cursor");
  const filterText = url.searchParams.get("filter");
  const filter = filterText !== null ? parseUserFilter(filterText) : null;
  const page = await listUsers(actor, envId, { limit, after: cursor ? decodeCursor(cursor) : null, filter });

  const base = apiBase(req);
  const href = (c: string | null) => {
    const q = new URLSearchParams();
    if (filterText !== null) q.set("filter", filterText);
    q.set("limit", String(limit));
    if (c) q.set("cursor", c);
    return `${base}/environments/${envId}/users?${q.toString()}`;
  };
  return json(
    listBody("users", page.users.map((u) => toUserResource(u, base)), href(cursor), page.nextCursor ? href(page.nextCursor) : null),
  );
});

export const { HEAD, OPTIONS, PUT, DELETE, PATCH } = otherMethods({ GET, POST });

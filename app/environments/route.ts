import { actorFromRequest } from "@/lib/auth/request-actor";
import { apiBase, json, route, otherMethods } from "@/lib/api/http";
import { listBody } from "@/lib/api/lists";
import { listEnvironments } from "@/lib/environments";
import { environmentResource } from "@/lib/environments/resources";

export const GET = route(async (req) => {
  const actor = await actorFromRequest(req);
  const base = apiBase(req);
  const envs = await listEnvironments(actor);
  return json(listBody("environments", envs.map((e) => environmentResource(base, e)), `${base}/environments`));
});

export const { HEAD, OPTIONS, POST, PUT, DELETE, PATCH } = otherMethods({ GET });

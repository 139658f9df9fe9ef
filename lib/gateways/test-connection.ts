import "server-only";
import { and, asc, eq } from "drizzle-orm";
import { PresenceFilter } from "ldapts";
import { getDb } from "@/db";
import { gatewayUserTypes, gateways } from "@/db/schema";
import { requireEnvironmentAccess, type Actor } from "@/lib/access";
import { forbidden, notFound } from "@/lib/api/errors";
import { isUuid } from "@/lib/ids";
import { Directory, DirectoryError, type DirectorySettings } from "./directory";
import { directorySettingsOf, UnreadableBindPassword } from "./manage";

export type ConnectionTestStep = { ok: boolean; title: string; message: string };
export type ConnectionTestReport = { ok: boolean; steps: ConnectionTestStep[] };

/** A directory failure in the words of the console's "Test connection" (issue 12.1). */
function explain(err: unknown, bindDn: string | null): string {
  if (!(err instanceof DirectoryError)) return "The directory gave an unexpected answer.";
  switch (err.failure) {
    case "unreachable":
      return `Host unreachable: ${err.message}`;
    case "tls":
      return `TLS failed: ${err.message}`;
    case "service-bind":
      return bindDn ? `Bad bind DN or password: the directory refused ${bindDn} or its password.` : "The directory refused the anonymous bind: set a bind DN and password.";
    case "base-not-found":
      return `Base DN not found: ${err.message}`;
    default:
      return err.message;
  }
}

/**
 * "Test connection": each server on a fresh connection (reach it, TLS, bind as the service
 * account), then a one-entry search under each user type's base on the first server that worked.
 * Uses connections of its own, not the gateway's pools, and closes them. Environment Admin.
 */
export async function testGatewayConnection(actor: Actor, environmentId: string, gatewayId: string): Promise<ConnectionTestReport> {
  const reach = requireEnvironmentAccess(actor, "environment:manage", environmentId);
  if (!reach.all) throw forbidden("Testing a gateway needs Environment Admin over the whole environment.");
  if (!isUuid(gatewayId)) throw notFound("The gateway was not found.");
  const db = await getDb();
  const [g] = await db.select().from(gateways).where(and(eq(gateways.id, gatewayId.toLowerCase()), eq(gateways.environmentId, environmentId)));
  if (!g) throw notFound("The gateway was not found.");
  const types = await db.select().from(gatewayUserTypes).where(eq(gatewayUserTypes.gatewayId, g.id)).orderBy(asc(gatewayUserTypes.createdAt));
  const steps: ConnectionTestStep[] = [];
  if (g.type !== "LDAP") return { ok: false, steps: [{ ok: false, title: "Type", message: `Only LDAP gateways connect to a directory; this one is ${g.type}.` }] };
  if (g.servers.length === 0) return { ok: false, steps: [{ ok: false, title: "Servers", message: "The gateway names no directory servers: add one as host:port." }] };

  let base: DirectorySettings;
  try {
    base = await directorySettingsOf(g);
  } catch (err) {
    if (!(err instanceof UnreadableBindPassword)) throw err;
    return { ok: false, steps: [{ ok: false, title: "Bind password", message: err.message }] };
  }

  let working: Directory | undefined;
  const opened: Directory[] = [];
  try {
    for (const server of g.servers) {
      const d = new Directory({ ...base, servers: [server] });
      opened.push(d);
      try {
        await d.ping();
        steps.push({ ok: true, title: server, message: `Connected${g.connectionSecurity === "None" ? "" : ` over ${g.connectionSecurity}`} and bound as ${g.bindDn ?? "anonymous"}.` });
        working ??= d;
      } catch (err) {
        steps.push({ ok: false, title: server, message: explain(err, g.bindDn) });
      }
    }
    for (const t of types) {
      const title = `User type ${t.name}`;
      if (!t.searchBaseDn) {
        steps.push({ ok: false, title, message: "No base DN: set searchBaseDn so that users of this type can be found." });
        continue;
      }
      if (!working) {
        steps.push({ ok: false, title, message: "Not searched: no server could be reached." });
        continue;
      }
      try {
        const found = await working.find(t.searchBaseDn, new PresenceFilter({ attribute: "objectClass" }), { limit: 1 });
        steps.push({ ok: true, title, message: found.length ? `Found an entry under ${t.searchBaseDn}.` : `${t.searchBaseDn} exists but the service account sees no entries under it.` });
      } catch (err) {
        steps.push({ ok: false, title, message: explain(err, g.bindDn) });
      }
    }
  } finally {
    for (const d of opened) d.close();
  }
  return { ok: steps.every((s) => s.ok), steps };
}

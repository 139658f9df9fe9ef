import "server-only";
import { eq, inArray, sql, type AnyColumn, type SQL } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { roleAssignments } from "@/db/schema";
import type { Assignment } from "./index";

const columns = {
  role: roleAssignments.role,
  scopeType: roleAssignments.scopeType,
  scopeId: roleAssignments.scopeId,
  environmentId: roleAssignments.scopeEnvironmentId,
};

/**
 * The same, as a column of another query: the assignments the user `userId` (a column of that
 * query) holds, as a JSON array of Assignment objects. So that a read of a target user weighs what
 * it holds in the same statement (lib/users/target.ts). Drivers hand it over parsed, or as text.
 */
export function heldAssignmentsColumn(userId: AnyColumn): SQL<Assignment[] | string> {
  return sql<Assignment[] | string>`(
    select coalesce(json_agg(json_build_object(
      'role', ${columns.role}, 'scopeType', ${columns.scopeType}, 'scopeId', ${columns.scopeId}, 'environmentId', ${columns.environmentId})), '[]'::json)
    from ${roleAssignments} where ${roleAssignments.userId} = ${userId})`;
}

/** Such a column's value as assignments. */
export function heldAssignments(value: Assignment[] | string | null): Assignment[] {
  if (typeof value === "string") return JSON.parse(value) as Assignment[];
  return value ?? [];
}

/** The role assignments a user or an application holds, read fresh from the database. */
export async function loadAssignments(subject: { applicationId: string } | { userId: string }, db?: Executor): Promise<Assignment[]> {
  const executor = db ?? (await getDb());
  return executor
    .select(columns)
    .from(roleAssignments)
    .where("applicationId" in subject ? eq(roleAssignments.applicationId, subject.applicationId) : eq(roleAssignments.userId, subject.userId));
}

/** The assignments of many users at once (a bulk batch): users without any are absent from the map. */
export async function loadUserAssignments(db: Executor, userIds: readonly string[]): Promise<Map<string, Assignment[]>> {
  const out = new Map<string, Assignment[]>();
  if (userIds.length === 0) return out;
  const rows = await db
    .select({ userId: roleAssignments.userId, ...columns })
    .from(roleAssignments)
    .where(inArray(roleAssignments.userId, [...userIds]));
  for (const { userId, ...a } of rows) {
    if (!userId) continue;
    const list = out.get(userId) ?? [];
    list.push(a);
    out.set(userId, list);
  }
  return out;
}

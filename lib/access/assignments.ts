import "server-only";
import { eq, inArray } from "drizzle-orm";
import { getDb, type Executor } from "@/db";
import { roleAssignments } from "@/db/schema";
import type { Assignment } from "./index";

const columns = {
  role: roleAssignments.role,
  scopeType: roleAssignments.scopeType,
  scopeId: roleAssignments.scopeId,
  environmentId: roleAssignments.scopeEnvironmentId,
};

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

"use server";
import type { RoleName, ScopeType } from "@/db/schema";
import { createRoleAssignment, deleteRoleAssignment, type RoleSubject } from "@/lib/roles/assignments";
import { formText, type ActionState } from "@/lib/console/errors";
import { runAction } from "@/lib/console/resource-actions";
import { ROLE_LABELS } from "@/lib/access";

/** "USER:<id>" / "APPLICATION:<id>" and "ENVIRONMENT:<id>" etc., as the selects send them. */
function split(v: string): [string, string] {
  const i = v.indexOf(":");
  return i < 0 ? [v, ""] : [v.slice(0, i), v.slice(i + 1)];
}

export async function createRoleAssignmentAction(envId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "role-assignments", async (actor, env) => {
    const [subjectType, subjectId] = split(formText(form, "subject"));
    const [scopeType, scopeId] = split(formText(form, "scope"));
    const subject: RoleSubject = subjectType === "APPLICATION" ? { applicationId: subjectId } : { userId: subjectId };
    const role = formText(form, "role") as RoleName;
    const a = await createRoleAssignment(actor, env, { subject, role, scope: { type: scopeType as ScopeType, id: scopeId } });
    return { notice: `${a.subject.name} is now ${ROLE_LABELS[a.role]} over ${a.scope.name ?? a.scope.type}.` };
  });
}

export async function deleteRoleAssignmentAction(envId: string, id: string): Promise<ActionState> {
  return runAction(envId, "role-assignments", async (actor, env) => {
    await deleteRoleAssignment(actor, env, id);
  });
}

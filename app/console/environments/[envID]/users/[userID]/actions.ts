"use server";
import { redirect } from "next/navigation";
import type { ActionState } from "@/lib/console/errors";
import { runAction } from "@/lib/console/resource-actions";
import { deleteUser, moveUser, setUserEnabled, updateUser } from "@/lib/users/manage";

/*
 * The user page's edit, move, enable/disable and delete actions. Each goes through runAction,
 * which reads the signed-in administrator afresh; the domain function (lib/users/manage.ts)
 * checks role, population scope and the target's own role assignments itself, as for the API.
 */

/** The attributes the console's edit form shows, by form field name (= the attribute path). */
const EDITABLE = [
  "username", "email", "name.given", "name.family", "nickname", "title", "primaryPhone", "mobilePhone", "locale", "externalId",
] as const;

/** The form as a PATCH body: a field left empty clears the attribute (null), as PATCH does. */
function patchBody(form: FormData): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const path of EDITABLE) {
    const raw = form.get(path);
    if (raw === null) continue;
    const v = String(raw).trim();
    const value = v === "" && path !== "username" ? null : v;
    const [head, tail] = path.split(".") as [string, string | undefined];
    if (tail) body[head] = { ...(body[head] as Record<string, unknown> | undefined), [tail]: value };
    else body[head] = value;
  }
  return body;
}

export async function updateUserAction(envId: string, userId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, `users/${userId}`, async (actor, environmentId) => {
    await updateUser(actor, environmentId, String(userId), patchBody(form), "merge");
    return { notice: "The user was saved." };
  });
}

export async function moveUserAction(envId: string, userId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  const result = await runAction(envId, `users/${userId}`, async (actor, environmentId) => {
    await moveUser(actor, environmentId, String(userId), { id: String(form.get("population") ?? "") });
    return { notice: "The user was moved." };
  });
  // The API names the field `id`; the form calls it `population`.
  if (result.errors?.id) {
    result.errors.population = result.errors.id;
    delete result.errors.id;
  }
  return result;
}

export async function setUserEnabledAction(envId: string, userId: string, enabled: boolean, _prev: ActionState, _form: FormData): Promise<ActionState> {
  return runAction(envId, `users/${userId}`, async (actor, environmentId) => {
    await setUserEnabled(actor, environmentId, String(userId), { enabled: enabled === true });
    return { notice: enabled === true ? "The user was enabled." : "The user was disabled." };
  });
}

export async function deleteUserAction(envId: string, userId: string, _prev: ActionState, _form: FormData): Promise<ActionState> {
  const result = await runAction(envId, "users", async (actor, environmentId) => {
    await deleteUser(actor, environmentId, String(userId));
  });
  // Outside runAction's try: redirect() works by throwing.
  if (result.ok) redirect(`/console/environments/${encodeURIComponent(String(envId))}/users?notice=deleted`);
  return result;
}

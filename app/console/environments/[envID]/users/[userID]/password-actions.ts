"use server";
import type { ActionState } from "@/lib/console/errors";
import { runAction } from "@/lib/console/resource-actions";
import { forcePasswordChange, setPassword } from "@/lib/users/password";
import { sendVerificationCode } from "@/lib/users/verification";

/*
 * The user page's password and verification actions. Each goes through runAction, which reads
 * the signed-in administrator afresh (requireConsoleActor); the domain function then checks
 * role and population scope itself, exactly as for the API. Nothing here echoes a password.
 */

export async function resendVerificationAction(envId: string, userId: string, _prev: ActionState, _form: FormData): Promise<ActionState> {
  return runAction(envId, `users/${userId}`, async (actor, environmentId) => {
    await sendVerificationCode(actor, environmentId, String(userId));
    return { notice: "A new verification code was sent." };
  });
}

export async function forcePasswordChangeAction(envId: string, userId: string, _prev: ActionState, _form: FormData): Promise<ActionState> {
  return runAction(envId, `users/${userId}`, async (actor, environmentId) => {
    await forcePasswordChange(actor, environmentId, String(userId));
    return { notice: "The user must change the password at the next sign-in." };
  });
}

export async function setPasswordAction(envId: string, userId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  const result = await runAction(envId, `users/${userId}`, async (actor, environmentId) => {
    await setPassword(actor, environmentId, String(userId), {
      value: form.get("password") === null ? undefined : String(form.get("password")),
      forceChange: form.get("forceChange") === "on",
      bypassPolicy: form.get("bypassPolicy") === "on",
    });
    return { notice: "The password was set." };
  });
  // The API names the field `value`; the form calls it `password`.
  if (result.errors?.value) {
    result.errors.password = result.errors.value;
    delete result.errors.value;
  }
  return result;
}

"use client";
import { useActionState, useId } from "react";
import { KeyRound, MailCheck, RotateCcw } from "lucide-react";
import type { ActionState } from "@/lib/console/errors";
import { Alert } from "@/components/ui/alert";
import { Input } from "@/components/ui/input";
import { FieldError, Label } from "@/components/ui/label";
import { SubmitButton } from "@/components/ui/submit-button";

type Action = (prev: ActionState, form: FormData) => Promise<ActionState>;

function Outcome({ state }: { state: ActionState }) {
  if (state.ok && state.notice) return <Alert tone="success">{state.notice}</Alert>;
  if (state.ok === false && state.message && !Object.keys(state.errors ?? {}).length) return <Alert tone="error">{state.message}</Alert>;
  return null;
}

/**
 * Password and verification actions on the console's user page: resend the verification
 * email, force a password change, set a password. The server actions (bound to the user by
 * the page) check role and scope themselves; this only renders what the caller may try.
 */
export function UserPasswordActions({
  resendVerification,
  forcePasswordChange,
  setPassword,
  hasEmail,
  passwordStatus,
}: {
  resendVerification: Action;
  forcePasswordChange: Action;
  setPassword: Action;
  hasEmail: boolean;
  passwordStatus: string;
}) {
  const [resendState, resendAction] = useActionState(resendVerification, {});
  const [forceState, forceAction] = useActionState(forcePasswordChange, {});
  const [setState, setAction] = useActionState(setPassword, {});
  const id = useId();
  const external = passwordStatus === "EXTERNAL";
  const pwErrors = setState.errors?.password;

  return (
    <div className="space-y-6" data-testid="user-password-actions">
      <section aria-labelledby={`${id}-verify`} className="space-y-2">
        <h3 id={`${id}-verify`} className="text-sm font-medium text-slate-900">Email verification</h3>
        <form action={resendAction} className="flex flex-wrap items-center gap-3">
          <SubmitButton variant="secondary" size="sm" disabled={!hasEmail} pendingText="Sending…">
            <MailCheck className="h-4 w-4" aria-hidden /> Resend verification email
          </SubmitButton>
          {!hasEmail && <span className="text-sm text-slate-500">The user has no email address.</span>}
        </form>
        <Outcome state={resendState} />
      </section>

      {external ? (
        <p className="text-sm text-slate-600">This user&apos;s password is held by an external directory (through a gateway): change it there.</p>
      ) : (
        <>
          <section aria-labelledby={`${id}-force`} className="space-y-2">
            <h3 id={`${id}-force`} className="text-sm font-medium text-slate-900">Password change</h3>
            <form action={forceAction}>
              <SubmitButton variant="secondary" size="sm" disabled={passwordStatus === "NO_PASSWORD"} pendingText="Saving…">
                <RotateCcw className="h-4 w-4" aria-hidden /> Force password change
              </SubmitButton>
            </form>
            <Outcome state={forceState} />
          </section>

          <section aria-labelledby={`${id}-set`} className="space-y-3">
            <h3 id={`${id}-set`} className="text-sm font-medium text-slate-900">Set password</h3>
            <form action={setAction} className="space-y-3" autoComplete="off">
              <div>
                <Label htmlFor={`${id}-password`}>New password or pre-encoded hash</Label>
                <Input
                  id={`${id}-password`}
                  name="password"
                  type="password"
                  autoComplete="new-password"
                  required
                  aria-invalid={pwErrors ? true : undefined}
                  aria-describedby={`${id}-password-error`}
                  className="mt-1"
                />
                <FieldError id={`${id}-password-error`} messages={pwErrors} />
              </div>
              <label className="flex items-center gap-2 text-sm text-slate-700">
                <input type="checkbox" name="forceChange" className="h-4 w-4 rounded border-slate-300" /> Must change at next sign-in
              </label>
              <label className="flex items-center gap-2 text-sm text-slate-700">
                <input type="checkbox" name="bypassPolicy" className="h-4 w-4 rounded border-slate-300" /> Bypass the password policy
              </label>
              <SubmitButton size="sm" pendingText="Setting…">
                <KeyRound className="h-4 w-4" aria-hidden /> Set password
              </SubmitButton>
            </form>
            <Outcome state={setState} />
          </section>
        </>
      )}
    </div>
  );
}

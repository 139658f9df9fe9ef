"use client";
import { useActionState } from "react";
import { LogIn } from "lucide-react";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Alert } from "@/components/ui/alert";
import { SubmitButton } from "@/components/ui/submit-button";
import { signInAction, type SignInState } from "./actions";

export function LoginForm({ callbackUrl }: { callbackUrl?: string }) {
  const [state, action] = useActionState<SignInState, FormData>(signInAction, {});
  return (
    <form action={action} className="space-y-5" noValidate>
      <input type="hidden" name="callbackUrl" value={callbackUrl ?? "/console"} />
      <div aria-live="polite" id="login-error">
        {state.message && <Alert tone="error">{state.message}</Alert>}
      </div>
      <div className="space-y-1.5">
        <Label htmlFor="username">Username</Label>
        <Input id="username" name="username" autoComplete="username" required defaultValue={state.username} aria-describedby={state.message ? "login-error" : undefined} aria-invalid={!!state.message} autoFocus />
      </div>
      <div className="space-y-1.5">
        <Label htmlFor="password">Password</Label>
        <Input id="password" name="password" type="password" autoComplete="current-password" required aria-describedby={state.message ? "login-error" : undefined} aria-invalid={!!state.message} />
      </div>
      <SubmitButton className="w-full" pendingText="Signing in…">
        <LogIn className="h-4 w-4" aria-hidden /> Sign in
      </SubmitButton>
    </form>
  );
}

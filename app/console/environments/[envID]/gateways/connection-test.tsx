"use client";
import { useActionState } from "react";
import { CheckCircle2, Loader2, XCircle } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import type { ConnectionTestState } from "./actions";

/** "Test connection": runs the check on the server and lists each step in plain words. */
export function ConnectionTest({ action, name }: { action: (prev: ConnectionTestState, form: FormData) => Promise<ConnectionTestState>; name: string }) {
  const [state, formAction, pending] = useActionState(action, {});
  return (
    <form action={formAction} className="space-y-3" aria-busy={pending}>
      <Button type="submit" variant="secondary" size="sm" disabled={pending} aria-label={`Test the connection of ${name}`}>
        {pending && <Loader2 className="h-4 w-4 animate-spin" aria-hidden />}
        {pending ? "Testing…" : "Test connection"}
      </Button>
      <div aria-live="polite">
        {state.message && !state.ok && <Alert tone="error">{state.message}</Alert>}
        {state.report && (
          <ul className="space-y-1 text-sm" data-testid="connection-test-report">
            {state.report.steps.map((s, i) => (
              <li key={i} className="flex items-start gap-2">
                {s.ok ? <CheckCircle2 className="mt-0.5 h-4 w-4 shrink-0 text-green-600" aria-label="passed" /> : <XCircle className="mt-0.5 h-4 w-4 shrink-0 text-red-600" aria-label="failed" />}
                <span>
                  <span className="font-medium text-slate-900">{s.title}:</span> {s.message}
                </span>
              </li>
            ))}
          </ul>
        )}
      </div>
    </form>
  );
}

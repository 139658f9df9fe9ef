"use client";
import { useActionState } from "react";
import { useFormStatus } from "react-dom";
import { Loader2, Undo2 } from "lucide-react";
import { Button } from "@/components/ui/button";

type State = { ok?: boolean; message?: string };

function Submit({ label }: { label: string }) {
  const { pending } = useFormStatus();
  return (
    <Button type="submit" variant="secondary" disabled={pending}>
      {pending ? <Loader2 className="h-4 w-4 animate-spin" aria-hidden /> : <Undo2 className="h-4 w-4" aria-hidden />}
      {label}
    </Button>
  );
}

/** Undo with the counts on the button and a confirmation naming them; a refusal shows beside it. */
export function UndoButton({ action, created, updated }: { action: () => Promise<State>; created: number; updated: number }) {
  const [state, formAction] = useActionState(async () => action(), {} as State);
  const what = `delete the ${created.toLocaleString()} user${created === 1 ? "" : "s"} this job created and restore the ${updated.toLocaleString()} it updated`;
  return (
    <form
      action={formAction}
      onSubmit={(e) => {
        if (!window.confirm(`Undo this job: ${what}? Users changed since the job are left as they are and listed in the undo's report.`)) e.preventDefault();
      }}
      className="flex flex-col gap-1"
    >
      <Submit label={`Undo: delete ${created.toLocaleString()}, restore ${updated.toLocaleString()}`} />
      <span aria-live="polite" className="text-sm text-red-600">
        {state.message && !state.ok ? state.message : null}
      </span>
    </form>
  );
}

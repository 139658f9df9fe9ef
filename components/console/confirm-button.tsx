"use client";
import { useActionState } from "react";
import { Loader2, Trash2 } from "lucide-react";
import { useFormStatus } from "react-dom";
import { Button } from "@/components/ui/button";
import type { FormState } from "./resource-form";

function Inner({ label }: { label: string }) {
  const { pending } = useFormStatus();
  return (
    <Button type="submit" variant="ghost" size="sm" className="text-red-700 hover:bg-red-50" disabled={pending} aria-label={label}>
      {pending ? <Loader2 className="h-4 w-4 animate-spin" aria-hidden /> : <Trash2 className="h-4 w-4" aria-hidden />}
      <span className="hidden sm:inline">Delete</span>
    </Button>
  );
}

/** A delete button (server action) that asks first and shows why a delete was refused. */
export function DeleteButton({ action, label, confirmText }: { action: (prev: FormState, form: FormData) => Promise<FormState>; label: string; confirmText: string }) {
  const [state, formAction] = useActionState(action, {});
  return (
    <form
      action={formAction}
      onSubmit={(e) => {
        if (!window.confirm(confirmText)) e.preventDefault();
      }}
      className="inline-flex flex-col items-end"
    >
      <Inner label={label} />
      <span aria-live="polite" className="max-w-xs text-right text-xs text-red-600">
        {state.message && !state.ok ? state.message : null}
      </span>
    </form>
  );
}

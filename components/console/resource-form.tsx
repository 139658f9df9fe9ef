"use client";
import { startTransition, useActionState, useEffect, useId, useRef } from "react";
import { Input, Textarea } from "@/components/ui/input";
import { Label, FieldError } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Loader2 } from "lucide-react";
import { cn } from "@/components/ui/cn";

export type FormState = { ok?: boolean; message?: string; errors?: Record<string, string[]>; notice?: string; secret?: { label: string; value: string } };

export type FieldSpec = {
  name: string;
  label: string;
  type?: "text" | "password" | "textarea" | "select" | "checkbox";
  options?: { value: string; label: string; group?: string }[];
  defaultValue?: string;
  defaultChecked?: boolean;
  hint?: string;
  required?: boolean;
  wide?: boolean;
};

/**
 * A plain create/edit form over a server action (useActionState): labelled inputs, errors under
 * the field they concern (aria-describedby, aria-live), a pending submit button, and a one-time
 * secret when the action returns one.
 */
export function ResourceForm({
  action,
  fields,
  submitLabel,
  pendingLabel,
  variant = "default",
  className,
  testId,
  resetOnSuccess = false,
}: {
  action: (prev: FormState, form: FormData) => Promise<FormState>;
  fields: FieldSpec[];
  submitLabel: string;
  pendingLabel?: string;
  variant?: "default" | "secondary" | "destructive";
  className?: string;
  testId?: string;
  resetOnSuccess?: boolean;
}) {
  const [state, formAction, pending] = useActionState(action, {});
  const id = useId();
  const ref = useRef<HTMLFormElement>(null);
  // Submitted through a transition rather than <form action>, so that a refused submission keeps
  // what was typed (React resets a form after its action); a successful one clears the form.
  useEffect(() => {
    if (state.ok && resetOnSuccess) ref.current?.reset();
  }, [state, resetOnSuccess]);
  return (
    <form
      ref={ref}
      onSubmit={(e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        startTransition(() => formAction(data));
      }}
      className={cn("space-y-4", className)}
      noValidate
      data-testid={testId}
      aria-busy={pending}
    >
      <div aria-live="polite">
        {/* A problem with a field is shown under that field only. */}
        {state.message && !state.ok && !fields.some((f) => state.errors?.[f.name]?.length) && <Alert tone="error">{state.message}</Alert>}
        {state.ok && state.notice && <Alert tone="success">{state.notice}</Alert>}
        {state.ok && state.secret && (
          <Alert tone="warning" title={state.secret.label} className="mt-2">
            <p>Copy it now: it is shown only this once and cannot be read back.</p>
            <code data-testid="one-time-secret" className="mt-2 block rounded bg-white/70 px-2 py-1 font-mono text-xs break-all select-all">
              {state.secret.value}
            </code>
          </Alert>
        )}
      </div>
      {fields.length > 0 && (
        <div className="grid gap-4 sm:grid-cols-2">
          {fields.map((f) => {
            const fid = `${id}-${f.name}`;
            const errs = state.errors?.[f.name];
            const described = [f.hint ? `${fid}-hint` : null, `${fid}-error`].filter(Boolean).join(" ");
            if (f.type === "checkbox") {
              return (
                <div key={f.name} className={cn("flex items-center gap-3 pt-6", f.wide && "sm:col-span-2")}>
                  <input id={fid} name={f.name} type="checkbox" defaultChecked={f.defaultChecked} className="h-4 w-4 rounded border-slate-300 text-indigo-600" aria-describedby={described} />
                  <Label htmlFor={fid}>{f.label}</Label>
                  <FieldError id={`${fid}-error`} messages={errs} />
                </div>
              );
            }
            return (
              <div key={f.name} className={cn("space-y-1.5", f.wide && "sm:col-span-2")}>
                <Label htmlFor={fid}>
                  {f.label}
                  {f.required && <span aria-hidden className="text-red-600"> *</span>}
                </Label>
                {f.type === "select" ? (
                  <Select id={fid} name={f.name} defaultValue={f.defaultValue} aria-invalid={!!errs} aria-describedby={described} required={f.required}>
                    {groupOptions(f.options ?? [])}
                  </Select>
                ) : f.type === "textarea" ? (
                  <Textarea id={fid} name={f.name} defaultValue={f.defaultValue} rows={2} aria-invalid={!!errs} aria-describedby={described} />
                ) : (
                  <Input
                    id={fid}
                    name={f.name}
                    type={f.type === "password" ? "password" : "text"}
                    defaultValue={f.type === "password" ? undefined : f.defaultValue}
                    aria-invalid={!!errs}
                    aria-describedby={described}
                    required={f.required}
                    autoComplete={f.type === "password" ? "new-password" : "off"}
                  />
                )}
                {f.hint && (
                  <p id={`${fid}-hint`} className="text-xs text-slate-500">
                    {f.hint}
                  </p>
                )}
                <FieldError id={`${fid}-error`} messages={errs} />
              </div>
            );
          })}
        </div>
      )}
      <Button type="submit" variant={variant} size={fields.length ? "default" : "sm"} disabled={pending} aria-disabled={pending}>
        {pending && <Loader2 className="h-4 w-4 animate-spin" aria-hidden />}
        {pending ? (pendingLabel ?? submitLabel) : submitLabel}
      </Button>
    </form>
  );
}

function groupOptions(options: NonNullable<FieldSpec["options"]>) {
  const groups = new Map<string | undefined, typeof options>();
  for (const o of options) groups.set(o.group, [...(groups.get(o.group) ?? []), o]);
  return [...groups.entries()].map(([g, opts]) => {
    const items = opts.map((o) => (
      <option key={o.value} value={o.value}>
        {o.label}
      </option>
    ));
    return g ? (
      <optgroup key={g} label={g}>
        {items}
      </optgroup>
    ) : (
      items
    );
  });
}

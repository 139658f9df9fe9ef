import * as React from "react";
import { cn } from "./cn";

export function Label({ className, ...props }: React.LabelHTMLAttributes<HTMLLabelElement>) {
  return <label className={cn("block text-sm font-medium text-slate-700", className)} {...props} />;
}

/** The error line under a field; its id goes into the field's aria-describedby. */
export function FieldError({ id, messages }: { id: string; messages?: string[] | string }) {
  const list = typeof messages === "string" ? [messages] : (messages ?? []);
  return (
    <div id={id} aria-live="polite" aria-atomic="true" className="min-h-0">
      {list.map((m) => (
        <p key={m} className="mt-1 text-sm text-red-600">
          {m}
        </p>
      ))}
    </div>
  );
}

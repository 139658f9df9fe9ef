import "server-only";
import { notFound } from "next/navigation";
import { ApiError, asApiError } from "@/lib/api/errors";

/** What a console server action returns: field errors by form path, and a message for the form. */
export type ActionState = { ok?: boolean; message?: string; errors?: Record<string, string[]>; notice?: string };

/**
 * An error thrown by a domain function as the state of the form that called it: each detail on
 * the field it targets, access failures as a message. Anything else is re-thrown (Next.js then
 * shows the route's error.tsx with a digest, never the error's text). A database outage is a
 * message saying so.
 */
export function actionError(thrown: unknown, targets: Record<string, string> = {}): ActionState {
  // A database that cannot be reached is a message on the form (503), not a crashed page.
  const err = asApiError(thrown);
  if (!err) throw thrown;
  const errors: Record<string, string[]> = {};
  const message = err.code === "ACCESS_FAILED" ? "You are not allowed to do this." : err.message;
  for (const d of err.details ?? []) {
    const target = d.target ? (targets[d.target] ?? d.target) : undefined;
    // A refusal the domain pinned on an attribute (a population the actor may not write) shows on its field.
    if (target) (errors[target] ??= []).push(d.code === "INSUFFICIENT_PERMISSIONS" ? message : d.message);
  }
  return { ok: false, message, errors };
}

/** A domain function's 404 as the route's not-found page. */
export async function orNotFound<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) notFound();
    throw err;
  }
}

/** A domain function's 403 as null, for a page that then says so instead of failing. */
export async function orForbidden<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return null;
    if (err instanceof ApiError && err.status === 404) notFound();
    throw err;
  }
}

export function formText(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === "string" ? v.trim() : "";
}

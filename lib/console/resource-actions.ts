import "server-only";
import { revalidatePath } from "next/cache";
import { requireConsoleActor, type ConsoleActor } from "@/lib/auth/console";
import { environmentIdFrom } from "@/lib/environments";
import { actionError, type ActionState } from "./errors";

/**
 * The body of every console CRUD server action: the administrator (assignments read fresh),
 * the environment id from the bound argument, the domain function (which checks role and
 * scope itself), then a refreshed page. Errors come back as form state.
 */
export async function runAction(
  envId: string,
  path: string,
  work: (actor: ConsoleActor, environmentId: string) => Promise<Partial<ActionState> & Record<string, unknown> | void>,
): Promise<ActionState & Record<string, unknown>> {
  let result: (Partial<ActionState> & Record<string, unknown>) | void;
  let environmentId: string;
  try {
    // Inside the try: a database that is down is a message on the form (the sign-in redirect passes through).
    const actor = await requireConsoleActor();
    environmentId = environmentIdFrom(String(envId));
    result = await work(actor, environmentId);
  } catch (err) {
    return actionError(err);
  }
  revalidatePath(`/console/environments/${environmentId}/${path}`);
  return { ok: true, ...(result ?? {}) };
}

"use server";
import { redirect } from "next/navigation";
import { revalidatePath } from "next/cache";
import { requireConsoleActor } from "@/lib/auth/console";
import { environmentIdFrom } from "@/lib/environments";
import { importUser } from "@/lib/users/import-user";
import { actionError, type ActionState } from "@/lib/console/errors";

// API detail targets that name a wrapper rather than the input holding the value.
const TARGETS: Record<string, string> = {
  population: "population.id",
  password: "password.value",
  identityProvider: "identityProvider.id",
  "password.external": "password.external.gateway.id",
};

/**
 * The console's import: the same importUser as POST /environments/{envID}/users, with the
 * administrator's role assignments read fresh from the database. A public POST endpoint, so
 * everything is checked here and in importUser, nothing is trusted from the page.
 */
export async function importUserAction(envId: string, body: unknown): Promise<ActionState> {
  let userId: string;
  let environmentId: string;
  try {
    const actor = await requireConsoleActor();
    environmentId = environmentIdFrom(String(envId));
    userId = (await importUser(actor, environmentId, body, "import")).id;
  } catch (err) {
    return actionError(err, TARGETS);
  }
  revalidatePath(`/console/environments/${environmentId}/users`);
  redirect(`/console/environments/${environmentId}/users/${userId}?notice=imported`);
}

"use server";
import { createIdentityProvider, deleteIdentityProvider, updateIdentityProvider } from "@/lib/environments/manage";
import { formText, type ActionState } from "@/lib/console/errors";
import { runAction } from "@/lib/console/resource-actions";

const input = (form: FormData) => ({ name: formText(form, "name"), type: formText(form, "type"), enabled: form.get("enabled") === "on" });

export async function createIdentityProviderAction(envId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "identity-providers", async (actor, env) => {
    const p = await createIdentityProvider(actor, env, input(form));
    return { notice: `Identity provider ${p.name} created.` };
  });
}

export async function updateIdentityProviderAction(envId: string, id: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "identity-providers", async (actor, env) => {
    const p = await updateIdentityProvider(actor, env, id, input(form));
    return { notice: `Identity provider ${p.name} saved.` };
  });
}

export async function deleteIdentityProviderAction(envId: string, id: string): Promise<ActionState> {
  return runAction(envId, "identity-providers", async (actor, env) => {
    await deleteIdentityProvider(actor, env, id);
  });
}

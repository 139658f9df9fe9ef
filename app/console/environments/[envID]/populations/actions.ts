"use server";
import { createPopulation, deletePopulation, updatePopulation } from "@/lib/environments/manage";
import { formText, type ActionState } from "@/lib/console/errors";
import { runAction } from "@/lib/console/resource-actions";

const input = (form: FormData) => ({ name: formText(form, "name"), description: formText(form, "description"), isDefault: form.get("isDefault") === "on" });

export async function createPopulationAction(envId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "populations", async (actor, env) => {
    const p = await createPopulation(actor, env, input(form));
    return { notice: `Population ${p.name} created.` };
  });
}

export async function updatePopulationAction(envId: string, id: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "populations", async (actor, env) => {
    const p = await updatePopulation(actor, env, id, input(form));
    return { notice: `Population ${p.name} saved.` };
  });
}

export async function deletePopulationAction(envId: string, id: string): Promise<ActionState> {
  return runAction(envId, "populations", async (actor, env) => {
    await deletePopulation(actor, env, id);
  });
}

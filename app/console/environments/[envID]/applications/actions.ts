"use server";
import { createApplication, deleteApplication, rotateApplicationSecret, updateApplication } from "@/lib/applications";
import { formText, type ActionState } from "@/lib/console/errors";
import { runAction } from "@/lib/console/resource-actions";

export async function createApplicationAction(envId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "applications", async (actor, env) => {
    const { application, clientSecret } = await createApplication(actor, env, { name: formText(form, "name") });
    return {
      notice: `Application ${application.name} created. Client id: ${application.id}`,
      secret: { label: "Client secret", value: clientSecret },
    };
  });
}

export async function updateApplicationAction(envId: string, id: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "applications", async (actor, env) => {
    const a = await updateApplication(actor, env, id, { name: formText(form, "name"), enabled: form.get("enabled") === "on" });
    return { notice: `Application ${a.name} saved.` };
  });
}

export async function rotateSecretAction(envId: string, id: string): Promise<ActionState> {
  return runAction(envId, "applications", async (actor, env) => {
    const { application, clientSecret } = await rotateApplicationSecret(actor, env, id);
    return { notice: `New secret for ${application.name}; the old one no longer works.`, secret: { label: "New client secret", value: clientSecret } };
  });
}

export async function deleteApplicationAction(envId: string, id: string): Promise<ActionState> {
  return runAction(envId, "applications", async (actor, env) => {
    await deleteApplication(actor, env, id);
  });
}

"use server";
import {
  createGateway,
  createGatewayUserType,
  deleteGateway,
  deleteGatewayUserType,
  updateGateway,
  updateGatewayUserType,
} from "@/lib/environments/manage";
import { formText, type ActionState } from "@/lib/console/errors";
import { runAction } from "@/lib/console/resource-actions";

const gateway = (form: FormData) => ({ name: formText(form, "name"), type: formText(form, "type"), enabled: form.get("enabled") === "on" });
const userType = (form: FormData) => ({
  name: formText(form, "name"),
  orderedCorrelationAttributes: formText(form, "orderedCorrelationAttributes"),
  passwordAuthority: formText(form, "passwordAuthority") as "PING_ONE" | "LDAP",
});

export async function createGatewayAction(envId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "gateways", async (actor, env) => ({ notice: `Gateway ${(await createGateway(actor, env, gateway(form))).name} created.` }));
}

export async function updateGatewayAction(envId: string, id: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "gateways", async (actor, env) => ({ notice: `Gateway ${(await updateGateway(actor, env, id, gateway(form))).name} saved.` }));
}

export async function deleteGatewayAction(envId: string, id: string): Promise<ActionState> {
  return runAction(envId, "gateways", async (actor, env) => {
    await deleteGateway(actor, env, id);
  });
}

export async function createUserTypeAction(envId: string, gatewayId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "gateways", async (actor, env) => ({ notice: `User type ${(await createGatewayUserType(actor, env, gatewayId, userType(form))).name} added.` }));
}

export async function updateUserTypeAction(envId: string, gatewayId: string, id: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return runAction(envId, "gateways", async (actor, env) => ({ notice: `User type ${(await updateGatewayUserType(actor, env, gatewayId, id, userType(form))).name} saved.` }));
}

export async function deleteUserTypeAction(envId: string, gatewayId: string, id: string): Promise<ActionState> {
  return runAction(envId, "gateways", async (actor, env) => {
    await deleteGatewayUserType(actor, env, gatewayId, id);
  });
}

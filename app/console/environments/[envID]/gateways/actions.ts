"use server";
import {
  createGateway,
  createGatewayUserType,
  deleteGateway,
  deleteGatewayUserType,
  updateGateway,
  updateGatewayUserType,
} from "@/lib/gateways/manage";
import { testGatewayConnection, type ConnectionTestReport } from "@/lib/gateways/test-connection";
import { formText, type ActionState } from "@/lib/console/errors";
import { runAction } from "@/lib/console/resource-actions";

/*
 * The gateways page's actions: each adapts its form to the body the API takes (spec 5.1) and
 * calls the same domain function as the API route, which checks role and scope itself.
 */

const list = (form: FormData, name: string) =>
  formText(form, name)
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

const optional = (form: FormData, name: string) => formText(form, name) || null;

const gateway = (form: FormData) => ({
  name: formText(form, "name"),
  type: formText(form, "type"),
  description: optional(form, "description"),
  enabled: form.get("enabled") === "on",
  servers: list(form, "servers"),
  bindDN: optional(form, "bindDN"),
  // The form cannot show the stored password: an empty field keeps it.
  bindPassword: formText(form, "bindPassword") === "" ? undefined : String(form.get("bindPassword")),
  connectionSecurity: formText(form, "connectionSecurity") || "None",
  validateTlsCertificates: form.get("validateTlsCertificates") === "on",
  vendor: optional(form, "vendor"),
});

/** `name=${ldapAttributes.x}` per line. */
function mappings(form: FormData) {
  return formText(form, "attributeMappings")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const i = line.indexOf("=");
      return i < 0 ? { name: line, value: "" } : { name: line.slice(0, i).trim(), value: line.slice(i + 1).trim() };
    });
}

const userType = (form: FormData) => {
  const populationId = formText(form, "population");
  const filter = formText(form, "ldapFilterPattern");
  const attributeMappings = mappings(form);
  return {
    name: formText(form, "name"),
    passwordAuthority: formText(form, "passwordAuthority") || "LDAP",
    searchBaseDn: optional(form, "searchBaseDn"),
    orderedCorrelationAttributes: list(form, "orderedCorrelationAttributes"),
    allowPasswordChanges: form.get("allowPasswordChanges") === "on",
    updateUserOnSuccessfulAuthentication: form.get("updateUserOnSuccessfulAuthentication") === "on",
    newUserLookup: populationId || filter || attributeMappings.length ? { ldapFilterPattern: filter || null, population: populationId ? { id: populationId } : null, attributeMappings } : null,
  };
};

// The API names nested fields by path; the form has one field for each of these groups.
function onFormFields(state: ActionState): ActionState {
  if (!state.errors) return state;
  for (const [key, messages] of Object.entries(state.errors)) {
    const field = key.startsWith("servers") ? "servers" : key.startsWith("orderedCorrelationAttributes") ? "orderedCorrelationAttributes" : key.startsWith("newUserLookup.attributeMappings") ? "attributeMappings" : key === "newUserLookup.population.id" ? "population" : key === "newUserLookup.ldapFilterPattern" ? "ldapFilterPattern" : key;
    if (field !== key) {
      (state.errors[field] ??= []).push(...messages);
      delete state.errors[key];
    }
  }
  return state;
}

export async function createGatewayAction(envId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return onFormFields(await runAction(envId, "gateways", async (actor, env) => ({ notice: `Gateway ${(await createGateway(actor, env, gateway(form))).name} created.` })));
}

export async function updateGatewayAction(envId: string, id: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return onFormFields(await runAction(envId, "gateways", async (actor, env) => ({ notice: `Gateway ${(await updateGateway(actor, env, id, gateway(form))).name} saved.` })));
}

export async function deleteGatewayAction(envId: string, id: string): Promise<ActionState> {
  return runAction(envId, "gateways", async (actor, env) => {
    await deleteGateway(actor, env, id);
  });
}

export async function createUserTypeAction(envId: string, gatewayId: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return onFormFields(await runAction(envId, "gateways", async (actor, env) => ({ notice: `User type ${(await createGatewayUserType(actor, env, gatewayId, userType(form))).name} added.` })));
}

export async function updateUserTypeAction(envId: string, gatewayId: string, id: string, _prev: ActionState, form: FormData): Promise<ActionState> {
  return onFormFields(await runAction(envId, "gateways", async (actor, env) => ({ notice: `User type ${(await updateGatewayUserType(actor, env, gatewayId, id, userType(form))).name} saved.` })));
}

export async function deleteUserTypeAction(envId: string, gatewayId: string, id: string): Promise<ActionState> {
  return runAction(envId, "gateways", async (actor, env) => {
    await deleteGatewayUserType(actor, env, gatewayId, id);
  });
}

export type ConnectionTestState = ActionState & { report?: ConnectionTestReport };

export async function testConnectionAction(envId: string, gatewayId: string, _prev: ConnectionTestState, _form: FormData): Promise<ConnectionTestState> {
  return runAction(envId, "gateways", async (actor, env) => ({ report: await testGatewayConnection(actor, env, gatewayId) }));
}

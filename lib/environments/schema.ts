import { z } from "zod";
import { IDENTITY_PROVIDER_TYPES } from "@/db/schema";

/**
 * The API bodies of populations and identity providers (PingOne's field names). They check
 * types only; the domain functions (lib/environments/manage.ts) check the values themselves
 * (a non-empty name, lengths), for the console's forms as for the API.
 */
const typeError = (expected: string) => (iss: { input?: unknown }) => (iss.input === undefined ? "A value is required." : `Must be ${expected}.`);

export const populationBodySchema = z.object({
  name: z.string({ error: typeError("a string") }),
  description: z.string({ error: typeError("a string") }).nullish(),
  default: z.boolean({ error: typeError("true or false") }).nullish().meta({ description: "Making a population the default unsets the previous default; the default cannot be unset except by making another one the default." }),
});

export const identityProviderBodySchema = z.object({
  type: z
    .string({ error: typeError("a string") })
    .refine((t) => (IDENTITY_PROVIDER_TYPES as readonly string[]).includes(t), { message: `Must be one of ${IDENTITY_PROVIDER_TYPES.join(", ")}.` })
    .meta({ enum: [...IDENTITY_PROVIDER_TYPES] }),
  name: z.string({ error: typeError("a string") }),
  enabled: z.boolean({ error: typeError("true or false") }).nullish(),
});

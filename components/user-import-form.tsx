"use client";
import { useId, useState } from "react";
import { useForm, useWatch, type FieldErrors, type FieldPath, type UseFormRegisterReturn } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import type { z } from "zod";
import { Loader2, UserPlus } from "lucide-react";
import { LIFECYCLE_STATUSES } from "@/db/enums";
import type { ActionState } from "@/lib/console/errors";
import { userImportSchema } from "@/lib/users/schema";
import { classifyPassword } from "@/lib/passwords/classify";
import { Input } from "@/components/ui/input";
import { Label, FieldError } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/alert";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { cn } from "@/components/ui/cn";

type In = z.input<typeof userImportSchema>;
type Out = z.output<typeof userImportSchema>;
type Path = FieldPath<In>;


export type ImportFormOptions = {
  populations: { id: string; name: string; isDefault: boolean }[];
  identityProviders: { id: string; name: string; type: string }[];
  gateways: { id: string; name: string; type: string; userTypes: { id: string; name: string; orderedCorrelationAttributes: string[] }[] }[];
};

const blankToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);

/** Drops undefined, blank strings and objects left empty, so that the body holds only what was entered. */
function compact(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(compact);
  if (v && typeof v === "object" && !(v instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const c = compact(x);
      if (c !== undefined) out[k] = c;
    }
    return Object.keys(out).length ? out : undefined;
  }
  if (v === "" || v === undefined) return undefined;
  return v;
}

function errorAt(errors: FieldErrors<In>, path: string): string | undefined {
  let cur: unknown = errors;
  for (const k of path.split(".")) {
    if (!cur || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  const m = (cur as { message?: unknown } | undefined)?.message;
  return typeof m === "string" ? m : undefined;
}

function Field({
  label,
  reg,
  error,
  hint,
  type = "text",
  autoComplete,
  className,
  children,
}: {
  label: string;
  reg: UseFormRegisterReturn;
  error?: string;
  hint?: React.ReactNode;
  type?: string;
  autoComplete?: string;
  className?: string;
  children?: React.ReactNode;
}) {
  const id = useId();
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  return (
    <div className={cn("space-y-1.5", className)}>
      <Label htmlFor={id}>{label}</Label>
      {children ? (
        <Select id={id} aria-invalid={!!error} aria-describedby={describedBy} {...reg}>
          {children}
        </Select>
      ) : (
        <Input id={id} type={type} autoComplete={autoComplete ?? "off"} aria-invalid={!!error} aria-describedby={describedBy} {...reg} />
      )}
      {hint && (
        <div id={`${id}-hint`} className="text-xs text-slate-500" aria-live="polite">
          {hint}
        </div>
      )}
      <FieldError id={`${id}-error`} messages={error} />
    </div>
  );
}

function Check({ label, reg, description }: { label: string; reg: UseFormRegisterReturn; description?: string }) {
  const id = useId();
  return (
    <div className="flex items-start gap-3">
      <input id={id} type="checkbox" className="mt-0.5 h-4 w-4 rounded border-slate-300 text-indigo-600 focus:ring-indigo-600" aria-describedby={description ? `${id}-d` : undefined} {...reg} />
      <div>
        <Label htmlFor={id}>{label}</Label>
        {description && (
          <p id={`${id}-d`} className="text-xs text-slate-500">
            {description}
          </p>
        )}
      </div>
    </div>
  );
}

function Section({ title, description, children }: { title: string; description?: string; children: React.ReactNode }) {
  return (
    <Card>
      <CardHeader>
        <CardTitle>{title}</CardTitle>
        {description && <CardDescription>{description}</CardDescription>}
      </CardHeader>
      <CardContent className="grid gap-4 sm:grid-cols-2">{children}</CardContent>
    </Card>
  );
}

function PasswordKind({ value }: { value: string | null | undefined }) {
  if (!value) return <span>Leave empty to import the user without a password.</span>;
  const c = classifyPassword(value);
  if (c.kind === "cleartext") return <span data-testid="password-kind">Cleartext: it will be checked against the password policy and stored as an argon2id hash.</span>;
  if (c.kind === "encoded") return <span data-testid="password-kind" className="text-emerald-700">Pre-encoded {c.scheme} hash: stored as given, so the user keeps their old password.</span>;
  return <span data-testid="password-kind" className="text-red-600">{c.message}</span>;
}

/**
 * Import one user: the same Zod schema as the API (zodResolver), and on submit the same
 * importUser through a server action. Server-side problems come back keyed by the API's detail
 * targets, which are this form's field paths.
 */
export function UserImportForm({ options, action }: { options: ImportFormOptions; action: (body: unknown) => Promise<ActionState> }) {
  const defaultPop = options.populations.find((p) => p.isDefault) ?? options.populations[0];
  const form = useForm<In, unknown, Out>({
    resolver: zodResolver(userImportSchema),
    mode: "onTouched",
    defaultValues: {
      username: "",
      population: { id: defaultPop?.id ?? "" },
      enabled: true,
      emailVerified: false,
      mfaEnabled: false,
      password: { forceChange: false },
      lifecycle: { suppressVerificationCode: false },
    },
  });
  const { register, handleSubmit, setError, formState, setValue, unregister, control } = form;
  const errors = formState.errors;
  const [gatewayChoice, setGatewayChoice] = useState("");
  const [formMessage, setFormMessage] = useState<string | null>(null);
  const text = (path: Path) => register(path, { setValueAs: blankToUndefined });
  const err = (path: string) => errorAt(errors, path);

  const chosen = (() => {
    const [gwId, utId] = gatewayChoice.split("/");
    const gw = options.gateways.find((g) => g.id === gwId);
    const ut = gw?.userTypes.find((t) => t.id === utId);
    return gw && ut ? { gw, ut } : null;
  })();

  function chooseGateway(value: string) {
    unregister("password.external");
    setGatewayChoice(value);
    const [gwId, utId] = value.split("/");
    if (gwId && utId) {
      setValue("password.value", undefined);
      setValue("password.external.gateway.id", gwId);
      setValue("password.external.gateway.userType.id", utId);
    }
  }

  async function onSubmit(values: Out) {
    setFormMessage(null);
    const result = await action(compact(values));
    // On success the action redirects to the new user's page; here only failures arrive.
    const fieldErrors = Object.entries(result.errors ?? {});
    let first: string | null = null;
    for (const [path, messages] of fieldErrors) {
      setError(path as Path, { type: "server", message: messages.join(" ") });
      first ??= path;
    }
    if (first) form.setFocus(first as Path);
    if (result.message && (!fieldErrors.length || result.message !== fieldErrors[0]?.[1][0])) setFormMessage(result.message);
  }

  const passwordValue = useWatch({ control, name: "password.value" });
  const lifecycleStatus = useWatch({ control, name: "lifecycle.status" });

  return (
    <form onSubmit={handleSubmit(onSubmit)} noValidate className="space-y-6" aria-describedby="import-form-message">
      <div id="import-form-message" aria-live="assertive">
        {formMessage && (
          <Alert tone="error" title="The user was not imported">
            {formMessage}
          </Alert>
        )}
      </div>

      <Section title="Identity" description="Who the user is and where they live.">
        <Field label="Username" reg={text("username")} error={err("username")} autoComplete="off" />
        <Field label="Email" type="email" reg={text("email")} error={err("email")} />
        <Field label="Population" reg={register("population.id")} error={err("population.id") ?? err("population")} hint="Only populations you may import into are listed.">
          {options.populations.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </Field>
        <Field label="External id" reg={text("externalId")} error={err("externalId")} />
      </Section>

      <Section title="Profile">
        <Field label="Given name" reg={text("name.given")} error={err("name.given")} />
        <Field label="Family name" reg={text("name.family")} error={err("name.family")} />
        <Field label="Middle name" reg={text("name.middle")} error={err("name.middle")} />
        <Field label="Formatted name" reg={text("name.formatted")} error={err("name.formatted")} />
        <Field label="Honorific prefix" reg={text("name.honorificPrefix")} error={err("name.honorificPrefix")} />
        <Field label="Honorific suffix" reg={text("name.honorificSuffix")} error={err("name.honorificSuffix")} />
        <Field label="Nickname" reg={text("nickname")} error={err("nickname")} />
        <Field label="Title" reg={text("title")} error={err("title")} />
        <Field label="Locale" reg={text("locale")} error={err("locale")} hint="e.g. en-GB" />
        <Field label="Preferred language" reg={text("preferredLanguage")} error={err("preferredLanguage")} hint="e.g. en" />
        <Field label="Time zone" reg={text("timezone")} error={err("timezone")} hint="e.g. Europe/London" />
        <Field label="Primary phone" type="tel" reg={text("primaryPhone")} error={err("primaryPhone")} />
        <Field label="Mobile phone" type="tel" reg={text("mobilePhone")} error={err("mobilePhone")} />
        <Field label="Photo URL" type="url" reg={text("photo.href")} error={err("photo.href")} />
        <Field label="Street address" reg={text("address.streetAddress")} error={err("address.streetAddress")} />
        <Field label="Locality" reg={text("address.locality")} error={err("address.locality")} />
        <Field label="Region" reg={text("address.region")} error={err("address.region")} />
        <Field label="Postal code" reg={text("address.postalCode")} error={err("address.postalCode")} />
        <Field label="Country code" reg={text("address.countryCode")} error={err("address.countryCode")} hint="Two capital letters, e.g. GB" />
      </Section>

      <Section title="Password" description="Cleartext, or a hash from the old directory ({SSHA}, bcrypt, PBKDF2, crypt, argon2, …).">
        {chosen ? (
          <p className="text-sm text-slate-600 sm:col-span-2">The {chosen.gw.name} gateway checks this user&apos;s password; no password is stored here.</p>
        ) : (
          <>
            <Field
              label="Password"
              type="password"
              autoComplete="new-password"
              reg={register("password.value", { setValueAs: (v: unknown) => (v === "" ? undefined : v) })}
              error={err("password.value") ?? err("password")}
              hint={<PasswordKind value={passwordValue} />}
              className="sm:col-span-2"
            />
            <Check label="Must change password at next sign-in" reg={register("password.forceChange")} />
          </>
        )}
      </Section>

      <Section title="Lifecycle and verification">
        <Field label="Lifecycle status" reg={text("lifecycle.status")} error={err("lifecycle.status")}>
          <option value="">Account OK (default)</option>
          {LIFECYCLE_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </Field>
        <div className="space-y-3 pt-1">
          <Check label="Enabled" reg={register("enabled")} />
          <Check label="Email verified" reg={register("emailVerified")} />
          <Check label="MFA enabled" reg={register("mfaEnabled")} />
          {lifecycleStatus === "VERIFICATION_REQUIRED" && (
            <Check label="Suppress verification code" reg={register("lifecycle.suppressVerificationCode")} description="Do not email a verification code now." />
          )}
        </div>
      </Section>

      <Section title="Identity provider or gateway" description="Where the user signs in, if not with a password stored here.">
        <Field label="Identity provider" reg={text("identityProvider.id")} error={err("identityProvider.id")}>
          <option value="">None (local account)</option>
          {options.identityProviders.map((i) => (
            <option key={i.id} value={i.id}>
              {i.name} ({i.type})
            </option>
          ))}
        </Field>
        <GatewaySelect options={options} value={gatewayChoice} onChange={chooseGateway} error={err("password.external.gateway.id") ?? err("password.external.gateway.userType.id") ?? err("password.external.gateway")} />
        {chosen &&
          chosen.ut.orderedCorrelationAttributes.map((attr) => (
            <Field
              key={`${chosen.ut.id}-${attr}`}
              label={`Link attribute: ${attr}`}
              reg={register(`password.external.gateway.correlationAttributes.${attr}`)}
              error={err(`password.external.gateway.correlationAttributes.${attr}`)}
            />
          ))}
      </Section>

      <div className="flex items-center justify-end gap-3">
        <Button type="submit" disabled={formState.isSubmitting} aria-disabled={formState.isSubmitting}>
          {formState.isSubmitting ? <Loader2 className="h-4 w-4 animate-spin" aria-hidden /> : <UserPlus className="h-4 w-4" aria-hidden />}
          {formState.isSubmitting ? "Importing…" : "Import user"}
        </Button>
      </div>
    </form>
  );
}

function GatewaySelect({ options, value, onChange, error }: { options: ImportFormOptions; value: string; onChange: (v: string) => void; error?: string }) {
  const id = useId();
  return (
    <div className="space-y-1.5">
      <Label htmlFor={id}>Gateway user type</Label>
      <Select id={id} value={value} onChange={(e) => onChange(e.target.value)} aria-invalid={!!error} aria-describedby={`${id}-error`}>
        <option value="">None</option>
        {options.gateways.map((g) => (
          <optgroup key={g.id} label={`${g.name} (${g.type})`}>
            {g.userTypes.map((t) => (
              <option key={t.id} value={`${g.id}/${t.id}`}>
                {t.name}
              </option>
            ))}
          </optgroup>
        ))}
      </Select>
      <FieldError id={`${id}-error`} messages={error} />
    </div>
  );
}

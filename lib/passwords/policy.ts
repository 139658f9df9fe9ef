// Default password policy (contract §3.3). Free of Node-only imports so forms can check as you type.
// It applies to cleartext only: pre-encoded values bypass it, as in PingOne.

export type PasswordPolicy = { minLength: number; maxLength: number };

export type PasswordPolicyContext = { username?: string; email?: string | null };

export const DEFAULT_PASSWORD_POLICY: Readonly<PasswordPolicy> = Object.freeze({ minLength: 8, maxLength: 255 });

const comparable = (text: string) => text.normalize("NFC").toLowerCase();

/** Returns the rule the password breaks, as a sentence, or null when it is acceptable. */
export function checkPasswordPolicy(
  cleartext: string,
  ctx: PasswordPolicyContext,
  policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
): string | null {
  // Code points, not UTF-16 units: an emoji is one character to the person typing it.
  const length = [...cleartext].length;
  if (length < policy.minLength) return `The password must be at least ${policy.minLength} characters long.`;
  if (length > policy.maxLength) return `The password must be at most ${policy.maxLength} characters long.`;
  const password = comparable(cleartext);
  if (ctx.username && password === comparable(ctx.username)) {
    return "The password must not be the same as the username.";
  }
  if (ctx.email && password === comparable(ctx.email)) {
    return "The password must not be the same as the email address.";
  }
  return null;
}

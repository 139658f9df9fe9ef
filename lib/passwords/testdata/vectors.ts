// The password test vectors, for the unit and contract tests: the shared files (first and
// second wave, made by independent tools) and extra-vectors.json beside this file (the same
// tools at other parameters and with edge-case passwords; see make-vectors.py).
import { readFileSync } from "node:fs";
import path from "node:path";

export type Vector = { form: string; encoded: string; password: string; madeBy: string; note?: string };
export type Rejected = { encoded: string; why: string };

// shared/ sits beside the repository both locally and in CI.
const SHARED = path.resolve(import.meta.dirname, "../../../../shared/vectors");
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as { vectors: Vector[]; rejected?: Rejected[] };

const first = read(path.join(SHARED, "passwords.json"));
const second = read(path.join(SHARED, "passwords-2.json"));
const extra = read(path.join(import.meta.dirname, "extra-vectors.json"));

export const FIRST_WAVE: readonly Vector[] = first.vectors;
export const FIRST_WAVE_REJECTED: readonly Rejected[] = first.rejected ?? [];
export const SECOND_WAVE: readonly Vector[] = second.vectors;
export const SECOND_WAVE_REJECTED: readonly Rejected[] = second.rejected ?? [];
export const EXTRA: readonly Vector[] = extra.vectors;

/** Second-wave and extra vectors of the given forms. */
export function vectorsOf(...forms: string[]): Vector[] {
  const found = [...SECOND_WAVE, ...EXTRA].filter((v) => forms.includes(v.form));
  if (found.length === 0) throw new Error(`no vectors for ${forms.join(", ")}`);
  return found;
}

export const OTHER_PASSWORD = "Tr0ub4dor&3";

/** Plausible near misses of a password: one character more, one less, another case, another normalisation. */
export function nearMisses(password: string): string[] {
  const misses = [password + "x", password.slice(0, -1), OTHER_PASSWORD, password.toUpperCase(), password.normalize("NFD"), ""];
  return [...new Set(misses)].filter((m) => m !== password);
}

export const label = (v: Vector) => `${v.form} by ${v.madeBy}${v.note ? ` (${v.note})` : ""}: ${JSON.stringify(v.password.length > 20 ? v.password.slice(0, 20) + "…" : v.password)}`;

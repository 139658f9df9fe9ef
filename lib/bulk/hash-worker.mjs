// A piscina worker that hashes one cleartext password with argon2id. Plain JavaScript so that
// the same file runs from the production bundle and under Vitest. The parameters are passed by
// the caller (lib/passwords ARGON2ID_PARAMS), so there is one place that sets them.
import argon2 from "argon2";

export default function hash({ cleartext, params }) {
  return argon2.hash(cleartext, { type: argon2.argon2id, ...params });
}

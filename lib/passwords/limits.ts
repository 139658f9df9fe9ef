// Cost limits of imported hashes (contract §3.2 "Cost limits"). A stored hash names its own
// work factor, so without a ceiling one imported value could make every check of it take hours
// (security review F4). Browser-safe: the console form checks against the defaults as you type,
// the server against the configured values (lib/passwords/settings.ts reads the environment).

export type CostLimits = {
  /** bcrypt cost, the log2 of its rounds. */
  bcryptCost: number;
  /** SHA-crypt ($5$, $6$) rounds. */
  shaCryptRounds: number;
  /** SHA1-crypt ($sha1$) rounds. */
  sha1CryptRounds: number;
  /** PBKDF2 iterations, in every layout. */
  pbkdf2Iterations: number;
  argon2MemoryMiB: number;
  argon2Passes: number;
  argon2Lanes: number;
  /** scrypt, yescrypt and Firebase scrypt: 128 · N · r bytes. */
  scryptMemoryMiB: number;
  scryptParallelism: number;
  /**
   * yescrypt's optional time factor `t`. Not in the contract's list, which bounds memory only,
   * but `t` multiplies the running time as the rounds of the other families do; libxcrypt never
   * writes it (t = 0), so the default admits every value that mkpasswd makes.
   */
  yescryptTime: number;
  /** phpass rounds (a power of two). */
  phpassRounds: number;
};

export type CostLimitSetting = {
  key: keyof CostLimits;
  env: string;
  default: number;
  /** The smallest and largest value the setting itself may take. */
  min: number;
  max: number;
  description: string;
};

/** The one list of settings: defaults, names, bounds; the README table is written from it. */
export const COST_LIMIT_SETTINGS: readonly CostLimitSetting[] = [
  { key: "bcryptCost", env: "PASSWORD_MAX_BCRYPT_COST", default: 16, min: 4, max: 31, description: "bcrypt cost (log2 of the rounds)" },
  { key: "shaCryptRounds", env: "PASSWORD_MAX_SHA_CRYPT_ROUNDS", default: 10_000_000, min: 1000, max: 999_999_999, description: "SHA-crypt `$5$`/`$6$` rounds" },
  { key: "sha1CryptRounds", env: "PASSWORD_MAX_SHA1_CRYPT_ROUNDS", default: 10_000_000, min: 1, max: 4_294_967_295, description: "SHA1-crypt `$sha1$` rounds" },
  { key: "pbkdf2Iterations", env: "PASSWORD_MAX_PBKDF2_ITERATIONS", default: 10_000_000, min: 1, max: 2_147_483_647, description: "PBKDF2 iterations (every layout)" },
  { key: "argon2MemoryMiB", env: "PASSWORD_MAX_ARGON2_MEMORY_MIB", default: 1024, min: 1, max: 4_194_304, description: "Argon2 memory, MiB" },
  { key: "argon2Passes", env: "PASSWORD_MAX_ARGON2_PASSES", default: 64, min: 1, max: 4_294_967_295, description: "Argon2 passes (`t`)" },
  { key: "argon2Lanes", env: "PASSWORD_MAX_ARGON2_LANES", default: 64, min: 1, max: 16_777_215, description: "Argon2 lanes (`p`)" },
  { key: "scryptMemoryMiB", env: "PASSWORD_MAX_SCRYPT_MEMORY_MIB", default: 1024, min: 1, max: 1_048_576, description: "scrypt, yescrypt and Firebase scrypt memory (128 · N · r), MiB" },
  { key: "scryptParallelism", env: "PASSWORD_MAX_SCRYPT_PARALLELISM", default: 16, min: 1, max: 1_073_741_823, description: "scrypt and yescrypt parallelism (`p`)" },
  { key: "yescryptTime", env: "PASSWORD_MAX_YESCRYPT_TIME", default: 8, min: 0, max: 4_294_967_295, description: "yescrypt time factor (`t`; libxcrypt writes 0)" },
  { key: "phpassRounds", env: "PASSWORD_MAX_PHPASS_ROUNDS", default: 2 ** 24, min: 128, max: 2 ** 30, description: "phpass `$P$`/`$H$` rounds" },
];

export const DEFAULT_COST_LIMITS: Readonly<CostLimits> = Object.freeze(
  Object.fromEntries(COST_LIMIT_SETTINGS.map((s) => [s.key, s.default])) as CostLimits,
);

const SETTING_BY_KEY = new Map(COST_LIMIT_SETTINGS.map((s) => [s.key, s]));

/**
 * Reads the limits from environment variables; an unset or empty variable keeps its default.
 * Throws on a value that is not a whole number within the setting's bounds, naming the variable:
 * a mistyped limit must stop the server at start, not silently admit everything.
 */
export function readCostLimits(env: Record<string, string | undefined>): CostLimits {
  const limits = { ...DEFAULT_COST_LIMITS };
  for (const s of COST_LIMIT_SETTINGS) {
    const raw = env[s.env]?.trim();
    if (!raw) continue;
    const n = /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < s.min || n > s.max) {
      throw new Error(`${s.env} must be a whole number from ${s.min} to ${s.max} (${s.description}); it is "${raw}".`);
    }
    limits[s.key] = n;
  }
  return limits;
}

/**
 * The sentence for a value over a limit: what was asked, the ceiling, and the setting that
 * holds it, so that an operator can tell a hostile value from a limit that is too low.
 */
export function overLimit(what: string, given: number | string, key: keyof CostLimits, limits: CostLimits, unit = ""): string {
  const s = SETTING_BY_KEY.get(key)!;
  return `The ${what} ${given}${unit} is above this server's limit of ${limits[key]}${unit} (${s.env}): checking it would tie up the server. Re-hash with a lower cost, or raise the limit.`;
}

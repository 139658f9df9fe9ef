// Loads the libxcrypt addon (native/xcrypt.c, built by `npm install` through binding.gyp) from
// the project root at run time, never through a bundler: the same file serves the production
// bundle, Next.js and the tests. Missing or broken, it is simply absent, and yescrypt with it.

import { createRequire } from "node:module";
import path from "node:path";

type Xcrypt = { crypt(phrase: Buffer, setting: string): string | null };

// Made by mkpasswd (libxcrypt 4.4) at the smallest cost: proves that this libxcrypt has both
// yescrypt flavours, which releases before 4.3 lack.
const SELF_TEST = [
  ["$y$j75$5IwYXLqSX8aQ2006DmAXC1$skjs6GutJgazzH7kD8D7on2GyO4MomtF5lfeFjZjVJ6", "self-test"],
  ["$gy$j75$.c7/RSkADchKfYu20xuaG1$UE6/ss0w9Bn8m4mIp4H0bLckHI6tXVop7fVKNZnn8E4", "self-test"],
] as const;

const loaded = new Map<string, Xcrypt | null>();

export function loadXcrypt(file: string): Xcrypt | null {
  if (loaded.has(file)) return loaded.get(file)!;
  let addon: Xcrypt | null = null;
  try {
    const candidate = createRequire(path.join(path.dirname(file), "package.json"))(file) as Xcrypt;
    if (SELF_TEST.every(([hash, password]) => candidate.crypt(Buffer.from(password), hash) === hash)) addon = candidate;
  } catch {
    addon = null;
  }
  loaded.set(file, addon);
  return addon;
}

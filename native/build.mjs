// Builds the libxcrypt addon (binding.gyp, native/xcrypt.c) as the root package's `install`
// script. It never fails the install: where node-gyp, a C compiler or libcrypt-dev is missing,
// the server refuses yescrypt hashes at import ("not available on this platform") instead.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

const args = ["rebuild"];
// Prefer the headers installed beside this Node (Debian, official tarballs) to a download.
const prefix = path.resolve(path.dirname(process.execPath), "..");
if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, "include/node/node_api.h"))) args.push(`--nodedir=${prefix}`);

// npm names the node-gyp it ships in npm_config_node_gyp; outside npm, the one on the PATH.
const gyp = process.env.npm_config_node_gyp;
const result = gyp ? spawnSync(process.execPath, [gyp, ...args], { stdio: "inherit" }) : spawnSync("node-gyp", args, { stdio: "inherit" });
if (result.status !== 0) {
  console.warn("identity-import: the libxcrypt addon did not build; yescrypt ($y$, $gy$) hashes will be refused at import.");
}

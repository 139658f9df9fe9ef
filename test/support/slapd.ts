/**
 * A real OpenLDAP server for the tests and benchmarks: Debian's slapd on free ports, with a
 * throwaway slapd.conf (mdb) and data folder loaded by slapadd, stopped by PID. Optional TLS
 * (ldaps and StartTLS) with a self-signed certificate made by openssl here.
 *
 * The tree, under dc=example,dc=com:
 *   cn=svc            the gateway's service account: reads and writes userPassword in ou=people,
 *                     cannot read (or write) it in ou=vault
 *   ou=people         users the gateway may read hashes of
 *   ou=vault          users whose hashes the gateway cannot read
 *   ou=policies       ppolicy default: pwdMinLength 8 with quality checks, so the directory
 *                     refuses a short new password on its own
 * plus a cn=Monitor database readable by the root DN (connection counts).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import net from "node:net";
import { Client } from "ldapts";

/** A free TCP port on the loopback (not ./server's: this module is loaded by the browser tests too, which cannot load that one). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

export const SUFFIX = "dc=example,dc=com";
export const PEOPLE = `ou=people,${SUFFIX}`;
export const VAULT = `ou=vault,${SUFFIX}`;
export const SERVICE_DN = `cn=svc,${SUFFIX}`;
export const ROOT_DN = `cn=admin,${SUFFIX}`;

export type DirectoryUser = {
  uid: string;
  password: string;
  /** Default ou=people. */
  branch?: "people" | "vault";
  mail?: string | string[];
  cn?: string;
  sn?: string;
  givenName?: string;
  /** Extra attributes, as LDIF lines would give them. */
  extra?: Record<string, string | string[]>;
  /** How userPassword is stored (default {SSHA}). */
  storeAs?: "ssha" | "cleartext";
};

export type Slapd = {
  host: string;
  port: number;
  /** The ldaps port when started with TLS. */
  tlsPort?: number;
  /** host:port as a gateway's `servers` names it. */
  server: string;
  tlsServer?: string;
  serviceDn: string;
  servicePassword: string;
  rootPassword: string;
  dir: string;
  /** The PEM certificate (TLS only). */
  certificate?: string;
  pid: () => number | undefined;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  /** Total connections the server has accepted since it started (cn=Monitor). */
  connectionsTotal: () => Promise<number>;
  /** Binds and searches the server has completed since it started (cn=Monitor), the root DN's own included. */
  operationCounts: () => Promise<{ bind: number; search: number }>;
  /** A client bound as the root DN, for a test's own look at the directory. */
  rootClient: () => Promise<Client>;
  /** True when `dn` binds with `password` (checked with ldapwhoami, not with our code). */
  canBind: (dn: string, password: string) => boolean;
  /** slapcat of the whole database, as LDIF. */
  slapcat: () => string;
};

/** An RDN value escaped as RFC 4514 asks. */
export const rdnValue = (v: string) => v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, "\\ ");
export const dnOf = (u: Pick<DirectoryUser, "uid" | "branch">) => `uid=${rdnValue(u.uid)},${u.branch === "vault" ? VAULT : PEOPLE}`;

export function ssha(password: string): string {
  const salt = randomBytes(8);
  return "{SSHA}" + Buffer.concat([createHash("sha1").update(password).update(salt).digest(), salt]).toString("base64");
}

/** One LDIF line, base64 when RFC 2849 requires it (non-ASCII, a leading space, colon or '<'). */
export function ldifLine(name: string, value: string): string {
  const safe = /^[\x01-\x09\x0b\x0c\x0e-\x1f\x21-\x39\x3b\x3d-\x7f][\x01-\x09\x0b\x0c\x0e-\x7f]*$/.test(value) && !value.endsWith(" ");
  return safe ? `${name}: ${value}` : `${name}:: ${Buffer.from(value, "utf8").toString("base64")}`;
}

export function userLdif(u: DirectoryUser): string {
  const lines = [
    ldifLine("dn", dnOf(u)),
    "objectClass: inetOrgPerson",
    ldifLine("uid", u.uid),
    ldifLine("cn", u.cn ?? u.uid),
    ldifLine("sn", u.sn ?? u.uid),
    ...(u.givenName ? [ldifLine("givenName", u.givenName)] : []),
    ...[u.mail ?? []].flat().map((m) => ldifLine("mail", m)),
    ldifLine("userPassword", u.storeAs === "cleartext" ? u.password : ssha(u.password)),
  ];
  for (const [k, v] of Object.entries(u.extra ?? {})) for (const one of [v].flat()) lines.push(ldifLine(k, one));
  return lines.join("\n") + "\n";
}

function baseLdif(servicePassword: string): string {
  return `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ${SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: svc
userPassword: ${ssha(servicePassword)}

dn: ${PEOPLE}
objectClass: organizationalUnit
ou: people

dn: ${VAULT}
objectClass: organizationalUnit
ou: vault

dn: ou=policies,${SUFFIX}
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,${SUFFIX}
objectClass: pwdPolicy
objectClass: person
cn: default
sn: default
pwdAttribute: userPassword
pwdMinLength: 8
pwdCheckQuality: 2

`;
}

function slapdConf(dir: string, rootPassword: string, tls: boolean, acl = ""): string {
  return `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile ${dir}/slapd.pid
argsfile ${dir}/slapd.args
${tls ? `TLSCertificateFile ${dir}/cert.pem\nTLSCertificateKeyFile ${dir}/key.pem\n` : ""}
database monitor
access to * by dn.exact="${ROOT_DN}" read by * none

database mdb
suffix "${SUFFIX}"
rootdn "${ROOT_DN}"
rootpw ${rootPassword}
directory ${dir}/data
maxsize 1073741824
index uid,mail eq
limits dn.exact="${SERVICE_DN}" size=unlimited time=unlimited
overlay ppolicy
ppolicy_default "cn=default,ou=policies,${SUFFIX}"
${acl}access to dn.subtree="${VAULT}" attrs=userPassword
  by self write
  by anonymous auth
  by * none
access to attrs=userPassword
  by dn.exact="${SERVICE_DN}" write
  by self write
  by anonymous auth
  by * none
access to * by * read
`;
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * `hiddenPasswords`: more subtrees (DNs under the suffix) whose userPassword the service account
 * cannot read, as in ou=vault (binds as their users still work).
 */
export async function startSlapd(opts: { users?: DirectoryUser[]; ldif?: string; tls?: boolean; hiddenPasswords?: string[] } = {}): Promise<Slapd> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ii-slapd-"));
  fs.mkdirSync(path.join(dir, "data"));
  const servicePassword = "svc-" + randomBytes(12).toString("base64url");
  const rootPassword = "root-" + randomBytes(12).toString("hex");
  const tls = opts.tls ?? false;
  let certificate: string | undefined;
  if (tls) {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
      "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ], { stdio: "ignore" });
    certificate = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
  }
  const acl = (opts.hiddenPasswords ?? []).map((dn) => `access to dn.subtree="${dn}" attrs=userPassword\n  by self write\n  by anonymous auth\n  by * none\n`).join("");
  fs.writeFileSync(path.join(dir, "slapd.conf"), slapdConf(dir, rootPassword, tls, acl));
  const seed = baseLdif(servicePassword) + (opts.users ?? []).map(userLdif).join("\n") + "\n" + (opts.ldif ?? "");
  fs.writeFileSync(path.join(dir, "seed.ldif"), seed);
  const added = spawnSync("slapadd", ["-q", "-f", path.join(dir, "slapd.conf"), "-b", SUFFIX, "-l", path.join(dir, "seed.ldif")], { encoding: "utf8" });
  if (added.status !== 0) throw new Error(`slapadd failed: ${added.stderr}`);

  const host = "127.0.0.1";
  const port = await freePort();
  const tlsPort = tls ? await freePort() : undefined;
  let pid: number | undefined;

  const start = async () => {
    const urls = `ldap://${host}:${port}/${tls ? ` ldaps://${host}:${tlsPort}/` : ""}`;
    const run = spawnSync("slapd", ["-f", path.join(dir, "slapd.conf"), "-h", urls], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`slapd failed to start: ${run.stderr}`);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const text = fs.existsSync(path.join(dir, "slapd.pid")) ? fs.readFileSync(path.join(dir, "slapd.pid"), "utf8").trim() : "";
      if (text) {
        pid = Number(text);
        const probe = spawnSync("ldapwhoami", ["-x", "-H", `ldap://${host}:${port}`], { encoding: "utf8" });
        if (probe.status === 0) return;
      }
      if (Date.now() > deadline) throw new Error("slapd did not answer within 10 s");
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async () => {
    if (!alive(pid)) return;
    process.kill(pid!, "SIGTERM");
    const deadline = Date.now() + 10_000;
    while (alive(pid)) {
      if (Date.now() > deadline) {
        process.kill(pid!, "SIGKILL");
        break;
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    pid = undefined;
  };

  await start();

  const rootClient = async () => {
    const c = new Client({ url: `ldap://${host}:${port}` });
    await c.bind(ROOT_DN, rootPassword);
    return c;
  };

  return {
    host,
    port,
    tlsPort,
    server: `${host}:${port}`,
    tlsServer: tls ? `localhost:${tlsPort}` : undefined,
    serviceDn: SERVICE_DN,
    servicePassword,
    rootPassword,
    dir,
    certificate,
    pid: () => pid,
    stop,
    start,
    connectionsTotal: async () => {
      const c = await rootClient();
      try {
        const { searchEntries } = await c.search("cn=Total,cn=Connections,cn=Monitor", { scope: "base", attributes: ["monitorCounter"] });
        return Number(searchEntries[0]?.monitorCounter);
      } finally {
        await c.unbind();
      }
    },
    operationCounts: async () => {
      const c = await rootClient();
      try {
        const read = async (op: string) => {
          const { searchEntries } = await c.search(`cn=${op},cn=Operations,cn=Monitor`, { scope: "base", attributes: ["monitorOpCompleted"] });
          return Number(searchEntries[0]?.monitorOpCompleted);
        };
        // The root DN's own bind (just above) and this search are counted; callers compare differences.
        return { bind: await read("Bind"), search: await read("Search") };
      } finally {
        await c.unbind();
      }
    },
    rootClient,
    canBind: (dn, password) => spawnSync("ldapwhoami", ["-x", "-H", `ldap://${host}:${port}`, "-D", dn, "-w", password], { encoding: "utf8" }).status === 0,
    slapcat: () => execFileSync("slapcat", ["-f", path.join(dir, "slapd.conf")], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }),
  };
}

/** Stops the server and removes its folder. */
export async function removeSlapd(s: Slapd | undefined): Promise<void> {
  if (!s) return;
  await s.stop();
  fs.rmSync(s.dir, { recursive: true, force: true });
}

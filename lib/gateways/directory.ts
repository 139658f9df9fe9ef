import "server-only";
import net from "node:net";
import tls from "node:tls";
import { BerWriter, Change, Attribute, Client, EqualityFilter, ResultCodeError, type Entry, type Filter } from "ldapts";
import type { GatewayConnectionSecurity } from "@/db/schema";

/**
 * The live connection to a gateway's directory (spec 5.1, 5.2, 5.3), over ldapts.
 *
 * Each gateway has two pools of connections, both opened by binding as the service account:
 * searches run on connections that stay bound as it, and users' binds run on connections of
 * their own (a bind changes who the connection is), so one check costs one search and one bind.
 * Servers are tried in order; one that failed is tried last for a while. A connection is opened
 * exactly once: ldapts would otherwise reconnect silently after a drop, anonymous and, under
 * StartTLS, in the clear; here a dropped connection is thrown away instead.
 */
export type DirectorySettings = {
  gatewayId: string;
  version: number;
  servers: string[];
  connectionSecurity: GatewayConnectionSecurity;
  validateTlsCertificates: boolean;
  bindDn: string | null;
  bindPassword: string | null;
};

/** What went wrong, in the words an administrator can act on; never a password. */
export type DirectoryFailure = "not-configured" | "unreachable" | "tls" | "service-bind" | "base-not-found" | "refused";

export class DirectoryError extends Error {
  constructor(
    readonly failure: DirectoryFailure,
    message: string,
    readonly resultCode?: number,
  ) {
    super(message);
    this.name = "DirectoryError";
  }
}

/** Per server and per operation; GATEWAY_TIMEOUT_MS, 5 s by default (spec 5.2). */
export function directoryTimeoutMs(): number {
  const v = Number(process.env.GATEWAY_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 5000;
}

function poolSize(): number {
  const v = Number(process.env.GATEWAY_POOL_SIZE);
  return Number.isInteger(v) && v > 0 ? v : 16;
}

const SERVER_RETRY_MS = 30_000;

function hostAndPort(server: string): { host: string; port: number } {
  const i = server.lastIndexOf(":");
  return { host: server.slice(0, i).replace(/^\[(.*)\]$/, "$1"), port: Number(server.slice(i + 1)) };
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EPIPE", "ETIMEDOUT", "ECONNABORTED"]);

/** A failure of the connection itself (not an LDAP answer): the connection must be dropped. */
function isConnectionFailure(err: unknown): boolean {
  if (err instanceof ResultCodeError) return err.code === 51 || err.code === 52;
  if (err instanceof DirectoryError) return err.failure === "unreachable" || err.failure === "tls";
  return err instanceof Error;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && /timed? ?out|timeout/i.test(err.message);
}

function describeNetworkError(err: unknown, server: string, timeoutMs: number): DirectoryError {
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === "string" ? e.code : "";
  if (/CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL|HOSTNAME|ALTNAME/.test(code) || /certificate|ssl|tls/i.test(e?.message ?? "")) {
    const why = /SELF_SIGNED/.test(code)
      ? "the server's certificate is self-signed and not trusted"
      : /ALTNAME|HOSTNAME/.test(code)
        ? "the server's certificate does not name this host"
        : /EXPIRED/.test(code)
          ? "the server's certificate has expired"
          : /CERT|UNABLE_TO_/.test(code)
            ? "the server's certificate is not trusted"
            : "the TLS handshake failed (does the server speak TLS on this port?)";
    return new DirectoryError("tls", `TLS with ${server} failed: ${why}.`);
  }
  if (code === "ECONNREFUSED") return new DirectoryError("unreachable", `${server} refused the connection (nothing listens on that port).`);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new DirectoryError("unreachable", `The host of ${server} was not found (DNS).`);
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return new DirectoryError("unreachable", `${server} cannot be reached (no route to the host).`);
  if (isTimeout(err)) return new DirectoryError("unreachable", `${server} did not answer within ${timeoutMs / 1000} s.`);
  if (NETWORK_CODES.has(code)) return new DirectoryError("unreachable", `The connection to ${server} failed (${code}).`);
  return new DirectoryError("unreachable", `The connection to ${server} was closed before it was ready.`);
}

/** Rejects after `ms`, calling `onTimeout` (to destroy what hangs). */
async function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error("Operation timed out"));
    }, ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

type Connection = { client: Client; server: string; destroy: () => void; idleTimer?: NodeJS.Timeout };

/** An idle connection is closed after this long, so that a gateway no longer used (or deleted) lets go of its directory. */
const IDLE_MS = 60_000;

async function openOn(s: DirectorySettings, server: string, timeoutMs: number): Promise<Connection> {
  const { host, port } = hostAndPort(server);
  const tlsOptions: tls.ConnectionOptions = {
    rejectUnauthorized: s.validateTlsCertificates,
    minVersion: "TLSv1.2",
    ...(net.isIP(host) ? {} : { servername: host }),
  };
  const sockets: net.Socket[] = [];
  // Each transport is made once: a second call would be ldapts reconnecting behind our back.
  let plainMade = false;
  let secureMade = false;
  const createConnection = ((...args: Parameters<typeof net.connect>) => {
    if (plainMade) throw new Error("Connection closed: not reopened");
    plainMade = true;
    const socket = net.connect(...args);
    sockets.push(socket);
    return socket;
  }) as typeof net.connect;
  const createSecureConnection = ((...args: Parameters<typeof tls.connect>) => {
    if (secureMade) throw new Error("Connection closed: not reopened");
    secureMade = true;
    const socket = (tls.connect as (...a: unknown[]) => tls.TLSSocket)(...args);
    sockets.push(socket);
    return socket;
  }) as typeof tls.connect;
  const urlHost = net.isIPv6(host) ? `[${host}]` : host;
  const client = new Client({
    url: `${s.connectionSecurity === "TLS" ? "ldaps" : "ldap"}://${urlHost}:${port}`,
    timeout: timeoutMs,
    connectTimeout: timeoutMs,
    // ldapts takes any tlsOptions as "connect with TLS": only for ldaps.
    ...(s.connectionSecurity === "TLS" ? { tlsOptions } : {}),
    strictDN: false,
    createConnection,
    createSecureConnection,
  });
  const destroy = () => {
    for (const socket of sockets) socket.destroy();
  };
  try {
    await withDeadline(
      (async () => {
        if (s.connectionSecurity === "StartTLS") await client.startTLS({ ...tlsOptions });
        await serviceBind(client, s);
      })(),
      timeoutMs,
      destroy,
    );
  } catch (err) {
    destroy();
    if (err instanceof DirectoryError) throw err;
    if (err instanceof ResultCodeError) {
      if (err.code === 49 || err.code === 48 || err.code === 50 || err.code === 53) {
        throw new DirectoryError("service-bind", "The directory refused the gateway's bind DN or bind password (invalid credentials).", err.code);
      }
      if (err.code === 13 || err.code === 8) throw new DirectoryError("tls", `${server} requires a secure connection: choose TLS or StartTLS.`, err.code);
      if (err.code === 2 && s.connectionSecurity === "StartTLS") throw new DirectoryError("tls", `${server} does not offer StartTLS.`, err.code);
      throw new DirectoryError("unreachable", `${server} answered the bind with LDAP result ${err.code}.`, err.code);
    }
    throw describeNetworkError(err, server, timeoutMs);
  }
  return { client, server, destroy };
}

async function serviceBind(client: Client, s: DirectorySettings): Promise<void> {
  // No bind DN: an anonymous bind, which also opens the connection.
  await client.bind(s.bindDn ?? "", s.bindDn ? (s.bindPassword ?? "") : "");
}

/** Connections opened one by one, handed out one caller at a time, reused while they stay up. */
class Pool {
  private idle: Connection[] = [];
  private open = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly opener: () => Promise<Connection>,
    private readonly max: number,
  ) {}

  private async acquire(): Promise<{ conn: Connection; reused: boolean }> {
    for (;;) {
      if (this.closed) throw new DirectoryError("unreachable", "The gateway changed while the request waited: try again.");
      const conn = this.idle.pop();
      if (conn) {
        clearTimeout(conn.idleTimer);
        if (conn.client.isConnected) return { conn, reused: true };
        this.discard(conn);
        continue;
      }
      if (this.open < this.max) {
        this.open += 1;
        try {
          return { conn: await this.opener(), reused: false };
        } catch (err) {
          this.open -= 1;
          this.wake();
          throw err;
        }
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private wake(): void {
    this.waiters.shift()?.();
  }

  private discard(conn: Connection): void {
    this.open -= 1;
    conn.destroy();
    this.wake();
  }

  private release(conn: Connection, healthy: boolean): void {
    if (!healthy || this.closed || !conn.client.isConnected) {
      this.discard(conn);
      return;
    }
    conn.idleTimer = setTimeout(() => {
      const i = this.idle.indexOf(conn);
      if (i >= 0) {
        this.idle.splice(i, 1);
        this.discard(conn);
      }
    }, IDLE_MS);
    conn.idleTimer.unref();
    this.idle.push(conn);
    this.wake();
  }

  /**
   * Runs `work` on a connection. A reused connection that turns out to have been dropped while
   * idle (the server restarted) is replaced once by a fresh one; a timeout is not retried, so
   * that a hung server costs one timeout, not two.
   */
  async use<T>(work: (client: Client) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const { conn, reused } = await this.acquire();
      let healthy = true;
      try {
        return await work(conn.client);
      } catch (err) {
        if (isConnectionFailure(err)) {
          healthy = false;
          if (reused && attempt === 0 && !isTimeout(err)) continue;
          if (err instanceof DirectoryError) throw err;
          throw describeNetworkError(err, conn.server, directoryTimeoutMs());
        }
        throw err;
      } finally {
        this.release(conn, healthy);
      }
    }
  }

  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) {
      clearTimeout(conn.idleTimer);
      conn.destroy();
    }
    for (const w of this.waiters.splice(0)) w();
  }
}

/** One gateway's directory, as this process talks to it. */
export class Directory {
  private readonly search: Pool;
  private readonly binds: Pool;
  private readonly downUntil = new Map<string, number>();

  constructor(readonly settings: DirectorySettings) {
    const opener = () => this.openAny();
    this.search = new Pool(opener, poolSize());
    this.binds = new Pool(opener, poolSize());
  }

  /** The servers in order, those that failed lately last; every server failing is a 503's reason. */
  private async openAny(): Promise<Connection> {
    const { servers } = this.settings;
    if (servers.length === 0) throw new DirectoryError("not-configured", "The gateway names no directory servers: add one (host:port).");
    const now = Date.now();
    const ordered = [...servers.filter((s) => (this.downUntil.get(s) ?? 0) <= now), ...servers.filter((s) => (this.downUntil.get(s) ?? 0) > now)];
    const failures: DirectoryError[] = [];
    for (const server of ordered) {
      try {
        const conn = await openOn(this.settings, server, directoryTimeoutMs());
        this.downUntil.delete(server);
        return conn;
      } catch (err) {
        const failure = err instanceof DirectoryError ? err : describeNetworkError(err, server, directoryTimeoutMs());
        // A refused service account is the same on every server: no point trying the others.
        if (failure.failure === "service-bind") throw failure;
        this.downUntil.set(server, Date.now() + SERVER_RETRY_MS);
        failures.push(failure);
      }
    }
    const tlsFailure = failures.find((f) => f.failure === "tls");
    throw new DirectoryError(tlsFailure && failures.every((f) => f.failure === "tls") ? "tls" : "unreachable", failures.map((f) => f.message).join(" "));
  }

  /** Opens (or reuses) a service connection: reachability, TLS and the service account's bind. */
  async ping(): Promise<void> {
    await this.search.use(async () => {});
  }

  /** Entries under `baseDn` matching `filter` (at most `limit`), as the service account. */
  async find(baseDn: string, filter: Filter, opts: { limit: number; attributes?: string[] }): Promise<Entry[]> {
    return this.search.use(async (client) => {
      try {
        const { searchEntries } = await client.search(baseDn, {
          scope: "sub",
          filter,
          sizeLimit: opts.limit,
          timeLimit: Math.ceil(directoryTimeoutMs() / 1000),
          attributes: opts.attributes?.length ? opts.attributes : ["1.1"],
        });
        return searchEntries;
      } catch (err) {
        if (err instanceof ResultCodeError && err.code === 32) throw new DirectoryError("base-not-found", `The base DN ${baseDn} does not exist in the directory.`, 32);
        if (err instanceof ResultCodeError && err.code === 34) throw new DirectoryError("base-not-found", `The base DN ${baseDn} is not a valid DN.`, 34);
        throw err;
      }
    });
  }

  /**
   * Every entry under `baseDn` matching `filter`, a page at a time (Simple Paged Results, RFC
   * 2696), as the service account: the next page is asked for only when the caller has taken
   * this one, so memory holds one page whatever the size of the directory. A paged search's
   * cookie is only good on its own connection, so this one has a connection of its own outside
   * the pools, closed when the caller stops (the end, an error, or a return from its loop).
   */
  async *pages(baseDn: string, filter: string, opts: { pageSize: number; attributes: string[] }): AsyncGenerator<Entry[]> {
    const conn = await this.openAny();
    try {
      const search = conn.client.searchPaginated(baseDn, {
        scope: "sub",
        filter,
        attributes: opts.attributes.length ? opts.attributes : ["1.1"],
        paged: { pageSize: opts.pageSize },
      });
      for (;;) {
        let page: IteratorResult<{ searchEntries: Entry[] }>;
        try {
          page = await search.next();
        } catch (err) {
          if (err instanceof ResultCodeError && err.code === 32) throw new DirectoryError("base-not-found", `The base DN ${baseDn} does not exist in the directory.`, 32);
          if (err instanceof ResultCodeError && err.code === 34) throw new DirectoryError("base-not-found", `The base DN ${baseDn} is not a valid DN.`, 34);
          if (err instanceof ResultCodeError && err.code !== 51 && err.code !== 52) throw new DirectoryError("refused", `The directory refused the search${diagnostic(err)}.`, err.code);
          throw describeNetworkError(err, conn.server, directoryTimeoutMs());
        }
        if (page.done) return;
        yield page.value.searchEntries;
      }
    } finally {
      conn.destroy();
    }
  }

  /** Entries whose `attribute` equals `value` exactly: the value travels as raw octets, so `*` or `)(` match only themselves. */
  findBy(baseDn: string, attribute: string, value: string, opts: { limit: number; attributes?: string[] }): Promise<Entry[]> {
    return this.find(baseDn, new EqualityFilter({ attribute, value }), opts);
  }

  /**
   * A simple bind as `dn` with `password`: true when the directory accepts it, false when it
   * refuses (invalid credentials, a locked or expired account). Never called with an empty
   * password, which LDAP would take as an anonymous bind.
   */
  async verify(dn: string, password: string): Promise<boolean> {
    if (password.length === 0) return false;
    return this.binds.use(async (client) => {
      try {
        await client.bind(dn, password);
        return true;
      } catch (err) {
        if (err instanceof ResultCodeError && err.code !== 51 && err.code !== 52) return false;
        throw err;
      }
    });
  }

  /**
   * Writes a new password for `dn` as the service account: the Password Modify extended operation
   * (RFC 3062), or a replace of userPassword where the server does not know it. The directory's
   * own policy applies; its refusal comes back as a DirectoryError("refused") with its reason.
   */
  async setPassword(dn: string, password: string): Promise<void> {
    await this.search.use(async (client) => {
      try {
        try {
          const w = new BerWriter();
          w.startSequence(0x30);
          w.writeString(dn, 0x80);
          w.writeString(password, 0x82);
          w.endSequence();
          await client.exop("1.3.6.1.4.1.4203.1.11.1", w.buffer);
        } catch (err) {
          // protocolError or unwillingToPerform for an unknown extended operation.
          if (!(err instanceof ResultCodeError) || (err.code !== 2 && err.code !== 53) || /polic|quality|length|history/i.test(err.message)) throw err;
          await client.modify(dn, new Change({ operation: "replace", modification: new Attribute({ type: "userPassword", values: [password] }) }));
        }
      } catch (err) {
        if (err instanceof ResultCodeError && (err.code === 50 || err.code === 32)) {
          throw new DirectoryError("refused", err.code === 50 ? "The gateway's service account may not change passwords in the directory." : "The user's directory entry no longer exists.", err.code);
        }
        if (err instanceof ResultCodeError && err.code !== 51 && err.code !== 52) {
          throw new DirectoryError("refused", `The directory refused the new password${diagnostic(err)}.`, err.code);
        }
        throw err;
      }
    });
  }

  close(): void {
    this.search.close();
    this.binds.close();
  }
}

/** The directory's own reason, when it gave one (it names a policy, never the password). */
function diagnostic(err: ResultCodeError): string {
  const text = err.message.replace(/[\r\n\t]+/g, " ").trim().slice(0, 200);
  return text ? `: ${text}` : "";
}

type Registered = { version: number; directory: Directory };
const globalForPools = globalThis as unknown as { __identityImportDirectories?: Map<string, Registered> };
const registry = (globalForPools.__identityImportDirectories ??= new Map());

/**
 * This process's Directory for a gateway at `version`. A gateway whose row changed (another
 * version, seen by any server process on its next read of the row) gets new pools, and the old
 * ones are closed; `settings` is called only then, so the bind password is opened once per version.
 */
export async function directoryFor(gatewayId: string, version: number, settings: () => Promise<DirectorySettings>): Promise<Directory> {
  const current = registry.get(gatewayId);
  // A newer version than the row this request read is newer settings still: use it.
  if (current && current.version >= version) return current.directory;
  const directory = new Directory(await settings());
  const raced = registry.get(gatewayId);
  if (raced && raced.version >= version) {
    directory.close();
    return raced.directory;
  }
  raced?.directory.close();
  registry.set(gatewayId, { version, directory });
  return directory;
}

/** Closes this process's pools of one gateway (it was deleted). */
export function closeDirectory(gatewayId: string): void {
  registry.get(gatewayId)?.directory.close();
  registry.delete(gatewayId);
}

/** Closes every pool of this process (tests, shutdown). */
export function closeDirectories(): void {
  for (const { directory } of registry.values()) directory.close();
  registry.clear();
}

/**
 * Lists, spec 2.6: PingOne's list envelope, keyset paging through _links.next, the SCIM-style
 * filter, and the environment-level collections (environments, populations, providers, gateways).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, UUID_RE, type ApiResponse, type Json } from "./support/http";

let app: TestApp;
let api: Client;
let refs: DemoRefs;
const D = FIXED.demoEnvId;
const USERS = `/environments/${D}/users`;

type User = { id: string; username: string; email?: string; population: { id: string } };

// A small directory: 25 numbered users in Default, and named ones to filter on.
const NAMED: { username: string; email?: string; population: "default" | "contractors" }[] = [
  { username: "Adam", email: "adam@Example.com", population: "default" },
  { username: "adele", email: "adele@example.org", population: "contractors" },
  { username: "ADA", email: "ada@example.com", population: "contractors" },
  { username: "bad", email: "bad@example.com", population: "default" },
  { username: "a_b", email: "under@example.com", population: "default" },
  { username: "a%c", population: "default" },
  { username: "Zoë", email: "zoe@example.net", population: "contractors" },
];
const created = new Map<string, User>();

beforeAll(async () => {
  app = await startTestApp();
  api = new Client(app, await app.token());
  refs = await app.refs();
  for (let i = 0; i < 25; i++) {
    const res = await api.postUser({ username: `list-${String(i).padStart(2, "0")}`, email: `list${i}@example.com` }, { contentType: "application/json" });
    expect(res.status, res.text).toBe(201);
    created.set(res.body.username, res.body);
  }
  for (const n of NAMED) {
    const populationId = n.population === "default" ? refs.defaultPopulationId : refs.contractorsPopulationId;
    const res = await api.postUser({ username: n.username, email: n.email, population: { id: populationId } });
    expect(res.status, res.text).toBe(201);
    created.set(n.username, res.body);
  }
});
afterAll(async () => {
  api?.expectNoLeak([FIXED.workerSecret]);
  await app?.close();
});

const q = (params: Record<string, string>) => `${USERS}?${new URLSearchParams(params).toString()}`;
const names = (res: { body: Json }) => (res.body._embedded.users as User[]).map((u) => u.username).sort();

function expectListEnvelope(body: Json, name: string) {
  expect(Object.keys(body).sort()).toEqual(["_embedded", "_links", "size"]);
  expect(Object.keys(body._embedded)).toEqual([name]);
  expect(Array.isArray(body._embedded[name])).toBe(true);
  expect(body.size).toBe(body._embedded[name].length);
  expect(body._links.self.href).toMatch(/^http:\/\/localhost:3000\//);
  for (const k of Object.keys(body._links)) expect(["self", "next"]).toContain(k);
}

/** Follows _links.next from `first` to the end; returns the pages. */
async function allPages(first: string, between?: (page: number) => Promise<void>) {
  const pages: User[][] = [];
  let href: string | undefined = first;
  while (href) {
    const res: ApiResponse = await api.get(href);
    expect(res.status, res.text).toBe(200);
    expectListEnvelope(res.body, "users");
    pages.push(res.body._embedded.users);
    href = res.body._links.next?.href;
    if (pages.length > 100) throw new Error("paging does not end");
    if (between) await between(pages.length);
  }
  return pages;
}

describe("GET users: envelope and paging", () => {
  it("answers PingOne's list envelope with every user when they fit in one page", async () => {
    const res = await api.get(USERS);
    expect(res.status).toBe(200);
    expectListEnvelope(res.body, "users");
    expect(res.body._links.next).toBeUndefined();
    expect(res.body.size).toBe(await app.countUsers(D));
    expect(res.body._embedded.users.map((u: User) => u.id).sort()).toEqual([...created.values()].map((u) => u.id).sort());
    // Each item is the full user resource.
    expect(res.body._embedded.users.find((u: User) => u.username === "Adam")).toEqual(created.get("Adam"));
  });

  it("pages with limit through _links.next, giving every user exactly once", async () => {
    const pages = await allPages(q({ limit: "7" }));
    const total = await app.countUsers(D);
    expect(pages.length).toBe(Math.ceil(total / 7));
    for (const p of pages.slice(0, -1)) expect(p.length).toBe(7);
    const ids = pages.flat().map((u) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(total);
    expect(ids.sort()).toEqual([...created.values()].map((u) => u.id).sort());
  });

  it("carries an opaque cursor that a client can pass back itself, and keeps the limit", async () => {
    const first = await api.get(q({ limit: "5" }));
    const next = new URL(first.body._links.next.href);
    expect(next.searchParams.get("limit")).toBe("5");
    const cursor = next.searchParams.get("cursor");
    expect(cursor).toBeTruthy();
    const viaLink = await api.get(first.body._links.next.href);
    const bySelf = await api.get(q({ cursor: cursor!, limit: "5", someUnknownParameter: "ignored" }));
    expect(bySelf.status).toBe(200);
    expect(bySelf.body._embedded.users).toEqual(viaLink.body._embedded.users);
    expect(bySelf.body._embedded.users.map((u: User) => u.id)).not.toContain(first.body._embedded.users[0].id);
  });

  it("stays stable when users are added while paging", async () => {
    const before = new Set((await api.get(q({ limit: "1000" }))).body._embedded.users.map((u: User) => u.id));
    const added: string[] = [];
    const pages = await allPages(q({ limit: "7" }), async (n) => {
      if (n === 1 || n === 3) {
        for (let i = 0; i < 2; i++) {
          const res = await api.postUser({ username: `mid-paging-${n}-${i}` }, { contentType: "application/json" });
          expect(res.status).toBe(201);
          added.push(res.body.id);
        }
      }
    });
    const ids = pages.flat().map((u) => u.id);
    expect(new Set(ids).size, "no user twice").toBe(ids.length);
    for (const id of before) expect(ids, "every user that existed is listed").toContain(id);
    // Users added after the pages already read sort after them (time-ordered ids): they come at the end.
    for (const id of added) expect(ids).toContain(id);
    expect(ids.length).toBe(before.size + added.length);
  });

  it("answers 400 for a bad limit or cursor", async () => {
    for (const limit of ["0", "1001", "abc", "-1", "1.5", "1e2", " 7"]) {
      const e = expectError(await api.get(q({ limit })), 400, "INVALID_DATA");
      expect(e.details?.map((d) => d.target)).toEqual(["limit"]);
    }
    for (const cursor of ["garbage", "eyJhZnRlciI6MX0", Buffer.from('{"after":"x"}').toString("base64url")]) {
      const e = expectError(await api.get(q({ cursor })), 400, "INVALID_DATA");
      expect(e.details?.map((d) => d.target)).toEqual(["cursor"]);
    }
  });

  it("accepts limit 1 and 1000", async () => {
    const one = await api.get(q({ limit: "1" }));
    expect(one.body.size).toBe(1);
    expect(one.body._links.next).toBeDefined();
    const max = await api.get(q({ limit: "1000" }));
    expect(max.status).toBe(200);
    expect(max.body._links.next).toBeUndefined();
  });

  it("answers 401 without a token and 404 for an unknown environment", async () => {
    expectError(await api.withToken(undefined).get(USERS), 401, "ACCESS_FAILED");
    expectError(await api.get(`/environments/${crypto.randomUUID()}/users`), 404, "NOT_FOUND");
    expectError(await api.get(`/environments/nope/users`), 404, "NOT_FOUND");
    expectError(await api.get(`${USERS}/${crypto.randomUUID()}`), 404, "NOT_FOUND");
    expectError(await api.get(`${USERS}/not-a-uuid`), 404, "NOT_FOUND");
  });
});

describe("GET users: filter", () => {
  const f = (filter: string, extra: Record<string, string> = {}) => api.get(q({ filter, ...extra }));

  it("username sw matches a prefix case-insensitively", async () => {
    const res = await f('username sw "ad"');
    expect(res.status, res.text).toBe(200);
    expect(names(res)).toEqual(["ADA", "Adam", "adele"].sort());
    expect(names(await f('username sw "AD"'))).toEqual(["ADA", "Adam", "adele"].sort());
  });

  it("username eq matches one user case-insensitively", async () => {
    expect(names(await f('username eq "adam"'))).toEqual(["Adam"]);
    expect(names(await f('username eq "ADAM"'))).toEqual(["Adam"]);
    expect(names(await f('username eq "zoë"'))).toEqual(["Zoë"]);
    expect(names(await f('username eq "ada"'))).toEqual(["ADA"]);
    expect(names(await f('username eq "nobody"'))).toEqual([]);
  });

  it("treats % and _ in values literally", async () => {
    expect(names(await f('username sw "a_"'))).toEqual(["a_b"]);
    expect(names(await f('username sw "a%"'))).toEqual(["a%c"]);
    expect(names(await f('username eq "a_b"'))).toEqual(["a_b"]);
  });

  it("filters on email with eq and sw, case-insensitively", async () => {
    expect(names(await f('email eq "ADAM@example.com"'))).toEqual(["Adam"]);
    expect(names(await f('email sw "ad"'))).toEqual(["ADA", "Adam", "adele"].sort());
    expect(names(await f('email sw "list1"'))).toEqual(["list-01", "list-10", "list-11", "list-12", "list-13", "list-14", "list-15", "list-16", "list-17", "list-18", "list-19"]);
  });

  it("filters on population.id, also in capitals", async () => {
    const res = await f(`population.id eq "${refs.contractorsPopulationId}"`);
    expect(names(res)).toEqual(["ADA", "adele", "Zoë"].sort());
    expect(names(await f(`population.id eq "${refs.contractorsPopulationId.toUpperCase()}"`))).toEqual(names(res));
  });

  it("joins clauses with and", async () => {
    expect(names(await f(`population.id eq "${refs.contractorsPopulationId}" and username sw "ad"`))).toEqual(["ADA", "adele"].sort());
    expect(names(await f('username sw "ad" and email sw "adam"'))).toEqual(["Adam"]);
    expect(names(await f('username sw "ad" AND email eq "nobody@example.com"'))).toEqual([]);
  });

  it("supports ew, co, or and parentheses (and binding tighter than or)", async () => {
    expect(names(await f('username ew "DA"'))).toEqual(["ADA"]);
    expect(names(await f('email co "EXAMPLE.org"'))).toEqual(["adele"]);
    expect(names(await f('username eq "adam" or username eq "zoë"'))).toEqual(["Adam", "Zoë"]);
    expect(names(await f('username eq "bad" or username sw "ad" and email ew ".org"'))).toEqual(["adele", "bad"]);
    expect(names(await f('(username eq "bad" or username sw "ad") and email ew ".com"'))).toEqual(["ADA", "Adam", "bad"]);
  });

  it("pages a filtered list and keeps the filter in the next link", async () => {
    const first = await f('username sw "list-"', { limit: "10" });
    expect(first.body.size).toBe(10);
    expect(new URL(first.body._links.next.href).searchParams.get("filter")).toBe('username sw "list-"');
    const pages = await allPages(first.body._links.self.href);
    const all = pages.flat().map((u) => u.username);
    expect(all.every((n) => n.startsWith("list-"))).toBe(true);
    expect(new Set(all).size).toBe(25);
  });

  it("answers 400 INVALID_DATA detail INVALID_FILTER for anything else", async () => {
    for (const filter of [
      "",
      "   ",
      'username gt "a"',
      'password eq "a"',
      'accountId eq "a"',
      'createdAt sw "2026"',
      'createdAt gt "yesterday"',
      'enabled eq "maybe"',
      "username eq a",
      "username eq 'a'",
      'username eq "unterminated',
      'username eq "a" and',
      'username eq "a" andemail eq "b"',
      '(username eq "a"',
      'username eq "a")',
      'not (username eq "a")',
      'username pr',
      'username eq "a" username eq "b"',
      'username eq "nul\u0000"',
      Array.from({ length: 51 }, () => 'username sw "a"').join(" and "),
      "(".repeat(11) + 'username eq "a"' + ")".repeat(11),
    ]) {
      const res = await f(filter);
      const e = expectError(res, 400, "INVALID_DATA");
      expect(e.details?.map((d) => [d.code, d.target]), filter).toEqual([["INVALID_FILTER", "filter"]]);
    }
  });
});

describe("population-scoped readers", () => {
  it("list only their populations, also when paging", async () => {
    const reader = api.withToken(
      await app.tokenFor([{ role: "IDENTITY_DATA_READ_ONLY", scope: "POPULATION", environmentId: D, populationId: refs.contractorsPopulationId }]),
    );
    const res = await reader.get(q({ limit: "2" }));
    expect(res.status).toBe(200);
    const seen: User[] = [...res.body._embedded.users];
    let next = res.body._links.next?.href;
    while (next) {
      const page = await reader.get(next);
      seen.push(...page.body._embedded.users);
      next = page.body._links.next?.href;
    }
    expect(seen.map((u) => u.username).sort()).toEqual(["ADA", "adele", "Zoë"].sort());
    const hidden = created.get("Adam")!;
    expectError(await reader.get(`${USERS}/${hidden.id}`), 404, "NOT_FOUND");
    expect((await reader.get(`${USERS}/${created.get("ADA")!.id}`)).status).toBe(200);
    expect((await reader.get(q({ filter: 'username eq "adam"' }))).body._embedded.users).toEqual([]);
  });
});

describe("environment-level collections", () => {
  it("GET /environments", async () => {
    const res = await api.get("/environments");
    expect(res.status).toBe(200);
    expectListEnvelope(res.body, "environments");
    expect(res.body._embedded.environments).toHaveLength(1);
    const env = res.body._embedded.environments[0];
    expect(env).toMatchObject({ id: D, name: "Demo" });
    expect(env._links.self.href).toBe(`${app.base}/environments/${D}`);
    expect(res.body._links.self.href).toBe(`${app.base}/environments`);
  });

  it("GET /environments/{envID}: the environment to a caller with a role in it, 404 to others", async () => {
    const res = await api.get(`/environments/${D}`);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ id: D, name: "Demo" });
    expectError(await api.get(`/environments/${FIXED.adminEnvId}`), 404, "NOT_FOUND");
    expectError(await api.get(`/environments/${crypto.randomUUID()}`), 404, "NOT_FOUND");
    expectError(await api.withToken(undefined).get(`/environments/${D}`), 401, "ACCESS_FAILED");
  });

  it("answers unknown API paths with a JSON 404", async () => {
    for (const p of [`/environments/${D}/nope`, `/environments/${D}/users/${crypto.randomUUID()}/nope/deeper`, "/v1/environments/x/y/z"]) {
      expectError(await api.get(p), 404, "NOT_FOUND");
    }
  });

  it("GET populations with exactly one default", async () => {
    const res = await api.get(`/environments/${D}/populations`);
    expect(res.status).toBe(200);
    expectListEnvelope(res.body, "populations");
    const pops = res.body._embedded.populations;
    expect(pops.map((p: Json) => p.name).sort()).toEqual(["Contractors", "Default"]);
    for (const p of pops) {
      expect(p.id).toMatch(UUID_RE);
      expect(p.environment).toEqual({ id: D });
      expect(typeof p.default).toBe("boolean");
    }
    expect(pops.filter((p: Json) => p.default).map((p: Json) => p.name)).toEqual(["Default"]);
    expect(res.body._links.self.href).toBe(`${app.base}/environments/${D}/populations`);
  });

  it("GET identityProviders", async () => {
    const res = await api.get(`/environments/${D}/identityProviders`);
    expect(res.status).toBe(200);
    expectListEnvelope(res.body, "identityProviders");
    expect(res.body._embedded.identityProviders).toHaveLength(1);
    expect(res.body._embedded.identityProviders[0]).toMatchObject({ id: refs.googleIdpId, type: "GOOGLE", name: "Google", enabled: true, environment: { id: D } });
  });

  it("GET gateways with their user types", async () => {
    const res = await api.get(`/environments/${D}/gateways`);
    expect(res.status).toBe(200);
    expectListEnvelope(res.body, "gateways");
    expect(res.body._embedded.gateways).toHaveLength(1);
    const gw = res.body._embedded.gateways[0];
    expect(gw).toMatchObject({ id: refs.gatewayId, type: "LDAP", enabled: true, environment: { id: D } });
    expect(gw.userTypes).toEqual([
      {
        id: refs.userTypeId,
        name: "Employees",
        orderedCorrelationAttributes: ["uid", "mail", "employeeNumber"],
        passwordAuthority: "LDAP",
        allowPasswordChanges: false,
        updateUserOnSuccessfulAuthentication: false,
      },
    ]);
  });

  it("answers 404 for an unknown environment and 401 without a token", async () => {
    for (const name of ["populations", "identityProviders", "gateways"]) {
      expectError(await api.get(`/environments/${crypto.randomUUID()}/${name}`), 404, "NOT_FOUND");
      expectError(await api.withToken(undefined).get(`/environments/${D}/${name}`), 401, "ACCESS_FAILED");
    }
    expectError(await api.withToken(undefined).get("/environments"), 401, "ACCESS_FAILED");
  });
});

/**
 * Create User (Import), spec 2.2: each rule, in the order the contract checks them, over HTTP.
 * Access (rule 5) has its own suite (access.test.ts); password rules are in import-passwords.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeJwt, SignJWT, type JWTPayload } from "jose";
import { signingKey } from "@/lib/auth/signing-key";
import { FIXED, startTestApp, type DemoRefs, type TestApp } from "./support/app";
import { Client, expectError, expectInvalidData, IMPORT_TYPE, uniqueName } from "./support/http";

let app: TestApp;
let api: Client;
let refs: DemoRefs;
let token: string;

beforeAll(async () => {
  app = await startTestApp();
  token = await app.token();
  api = new Client(app, token);
  refs = await app.refs();
});
afterAll(async () => {
  api?.expectNoLeak([FIXED.workerSecret, FIXED.adminPassword]);
  await app?.close();
});

const valid = (over: Record<string, unknown> = {}) => ({
  username: uniqueName("rule"),
  population: { id: refs.defaultPopulationId },
  ...over,
});

/** Runs `fn` and asserts that it wrote no user row. */
async function noRowWritten(fn: () => Promise<void>) {
  const before = await app.countUsers();
  await fn();
  expect(await app.countUsers()).toBe(before);
}

describe("rule 1: authentication → 401", () => {
  async function reSign(payload: JWTPayload, key: Uint8Array, alg = "HS256") {
    return new SignJWT(payload).setProtectedHeader({ alg, typ: "JWT" }).sign(key);
  }

  function expect401(res: Awaited<ReturnType<Client["postUser"]>>) {
    const body = expectError(res, 401, "ACCESS_FAILED");
    expect(body.details?.map((d) => d.code)).toEqual(["INVALID_TOKEN"]);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    return body;
  }

  it("refuses a request without a token", async () => {
    await noRowWritten(async () => {
      expect401(await api.withToken(undefined).postUser(valid()));
    });
  });

  it("refuses garbage, non-Bearer and malformed tokens", async () => {
    const anon = api.withToken(undefined);
    for (const authorization of [
      "Bearer garbage",
      "Bearer ",
      "Bearer a.b.c",
      `Bearer ${token}x`,
      `Bearer ${token.split(".").slice(0, 2).join(".")}`,
      `bearer${token}`,
      `Token ${token}`,
      "Basic " + Buffer.from(`${FIXED.workerId}:${FIXED.workerSecret}`).toString("base64"),
      `Bearer ${token} ${token}`,
    ]) {
      await noRowWritten(async () => {
        expect401(await anon.postUser(valid(), { headers: { authorization } }));
      });
    }
  });

  it("refuses a token signed with another key, a tampered one and an unsigned one", async () => {
    const claims = decodeJwt(token);
    const wrongKey = await reSign(claims, new Uint8Array(randomBytes(32)));
    // Widen the token's roles without re-signing: header and signature of the real token.
    const [h, , s] = token.split(".");
    const widened = Buffer.from(
      JSON.stringify({ ...claims, roles: [{ role: "ENVIRONMENT_ADMIN", scope: { type: "ORGANIZATION", id: randomUUID() }, env: null }] }),
    ).toString("base64url");
    const tampered = `${h}.${widened}.${s}`;
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
    const anon = api.withToken(undefined);
    for (const t of [wrongKey, tampered, unsigned]) {
      await noRowWritten(async () => {
        expect401(await anon.postUser(valid(), { headers: { authorization: `Bearer ${t}` } }));
      });
    }
  });

  it("refuses an expired token and one for another audience, even when signed with the real key", async () => {
    const claims = decodeJwt(token);
    const key = await signingKey();
    const now = Math.floor(Date.now() / 1000);
    const expired = await reSign({ ...claims, iat: now - 7200, exp: now - 3600 }, key);
    const otherAudience = await reSign({ ...claims, aud: "someone-else" }, key);
    // The control: the same claims re-signed with the real key are accepted, so the refusals
    // above are about expiry and audience, not about re-signing.
    const control = await reSign({ ...claims, iat: now, exp: now + 600 }, key);
    const anon = api.withToken(undefined);

    const e = expect401(await anon.postUser(valid(), { headers: { authorization: `Bearer ${expired}` } }));
    expect(e.message).toMatch(/expired/i);
    expect401(await anon.postUser(valid(), { headers: { authorization: `Bearer ${otherAudience}` } }));
    const ok = await anon.postUser(valid(), { headers: { authorization: `Bearer ${control}` } });
    expect(ok.status, ok.text).toBe(201);
  });

  it("checks authentication before the environment, content type and body", async () => {
    const anon = api.withToken(undefined);
    expect401(await anon.postUser(valid(), { envId: randomUUID() }));
    expect401(await anon.postUser("not json", { raw: true, contentType: "text/plain" }));
    expect401(await anon.postUser("{", { raw: true }));
    expect401(await anon.postUser({}));
  });
});

describe("rule 2: the environment exists → 404", () => {
  it("answers 404 NOT_FOUND for an unknown environment id", async () => {
    await noRowWritten(async () => {
      expectError(await api.postUser(valid(), { envId: randomUUID() }), 404, "NOT_FOUND");
    });
  });

  it("answers 404 for an environment id that is not a UUID", async () => {
    for (const envId of ["not-a-uuid", "0d000000-0000-4000-8000-00000000000", "' or 1=1 --", "%00"]) {
      expectError(await api.postUser(valid(), { envId: encodeURIComponent(envId) }), 404, "NOT_FOUND");
    }
  });

  it("answers 404 whoever asks and whatever the body: an organization-wide caller, plain create", async () => {
    const orgAdmin = api.withToken(await app.tokenFor([{ role: "IDENTITY_DATA_ADMIN", scope: "ORGANIZATION" }]));
    for (const envId of [randomUUID(), "not-a-uuid", "0d000000-0000-4000-8000-00000000000g"]) {
      await noRowWritten(async () => {
        expectError(await orgAdmin.postUser(valid(), { envId }), 404, "NOT_FOUND");
        expectError(await orgAdmin.postUser({ username: uniqueName() }, { envId, contentType: "application/json" }), 404, "NOT_FOUND");
        expectError(await api.postUser({ username: uniqueName() }, { envId, contentType: "application/json" }), 404, "NOT_FOUND");
        expectError(await orgAdmin.postUser(valid({ password: { value: "Cleartext-404-check" } }), { envId }), 404, "NOT_FOUND");
      });
    }
  });

  it("accepts the environment id in capitals (UUIDs are case-insensitive)", async () => {
    const res = await api.postUser(valid(), { envId: FIXED.demoEnvId.toUpperCase() });
    expect(res.status, res.text).toBe(201);
    expect(res.body.environment.id).toBe(FIXED.demoEnvId);
    expect(res.headers.get("location")).toBe(`${app.base}/environments/${FIXED.demoEnvId}/users/${res.body.id}`);
    const list = await api.get(`/environments/${FIXED.demoEnvId.toUpperCase()}/users?limit=1`);
    expect(list.status).toBe(200);
  });

  it("checks the environment before the content type and the body", async () => {
    expectError(await api.postUser("x", { envId: randomUUID(), raw: true, contentType: "text/plain" }), 404, "NOT_FOUND");
    expectError(await api.postUser("{", { envId: randomUUID(), raw: true }), 404, "NOT_FOUND");
    expectError(await api.postUser({}, { envId: randomUUID() }), 404, "NOT_FOUND");
  });
});

describe("rule 3: content type → 415", () => {
  it("refuses other content types with 415 INVALID_REQUEST and writes nothing", async () => {
    for (const contentType of [
      "text/plain",
      "application/xml",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/vnd.pingidentity.user.import",
      "application/vnd.pingidentity.user.import+json; charset=latin1",
      "application/json; charset=iso-8859-1",
    ]) {
      await noRowWritten(async () => {
        expectError(await api.postUser(valid(), { contentType }), 415, "INVALID_REQUEST");
      });
    }
  });

  it("refuses a body sent without any content type", async () => {
    await noRowWritten(async () => {
      const res = await api.postUser(valid(), { contentType: null });
      expectError(res, 415, "INVALID_REQUEST");
    });
  });

  it("accepts the import media type with a UTF-8 charset parameter, in any spelling", async () => {
    for (const contentType of [
      `${IMPORT_TYPE}; charset=utf-8`,
      `${IMPORT_TYPE};charset=UTF-8`,
      `${IMPORT_TYPE}; charset="utf-8"`,
      "Application/Vnd.PingIdentity.User.Import+JSON",
    ]) {
      const res = await api.postUser(valid({ password: { value: "Import-media-type-1" } }), { contentType });
      expect(res.status, `${contentType}: ${res.text}`).toBe(201);
    }
  });

  it("checks the content type before the body", async () => {
    expectError(await api.postUser("{not json", { raw: true, contentType: "text/plain" }), 415, "INVALID_REQUEST");
    expectError(await api.postUser("x".repeat(70 * 1024), { raw: true, contentType: "text/plain" }), 415, "INVALID_REQUEST");
  });
});

describe("rule 4: the body → 400 INVALID_DATA, one detail per problem", () => {
  it("reports a missing username as REQUIRED_VALUE on target username", async () => {
    await noRowWritten(async () => {
      expectInvalidData(await api.postUser({ population: { id: refs.defaultPopulationId } }), [["REQUIRED_VALUE", "username"]]);
    });
  });

  it("reports a missing population.id on target population.id", async () => {
    expectInvalidData(await api.postUser({ username: uniqueName(), population: {} }), [["REQUIRED_VALUE", "population.id"]]);
    expectInvalidData(await api.postUser({ username: uniqueName(), population: { id: "abc" } }), [["INVALID_VALUE", "population.id"]]);
    expectInvalidData(await api.postUser({ username: uniqueName(), population: { id: 42 } }), [["INVALID_VALUE", "population.id"]]);
  });

  it("reports a missing population as population.id, the attribute to send", async () => {
    expectInvalidData(await api.postUser({ username: uniqueName() }), [["REQUIRED_VALUE", "population.id"]]);
    expectInvalidData(await api.postUser({ username: uniqueName(), population: "x" }), [["INVALID_VALUE", "population"]]);
  });

  it("gives one detail per problem, each on its own target", async () => {
    const res = await api.postUser({
      population: { id: "nope" },
      email: "not an email",
      enabled: "yes",
      name: { given: "g".repeat(257), family: 7 },
      address: { countryCode: "usa", postalCode: "p".repeat(41) },
      lifecycle: { status: "ACTIVE" },
      primaryPhone: "1".repeat(33),
    });
    const body = expectInvalidData(res, [
      ["REQUIRED_VALUE", "username"],
      ["INVALID_VALUE", "population.id"],
      ["INVALID_VALUE", "email"],
      ["INVALID_VALUE", "enabled"],
      ["SIZE_LIMIT_EXCEEDED", "name.given"],
      ["INVALID_VALUE", "name.family"],
      ["INVALID_VALUE", "address.countryCode"],
      ["SIZE_LIMIT_EXCEEDED", "address.postalCode"],
      ["INVALID_VALUE", "lifecycle.status"],
      ["SIZE_LIMIT_EXCEEDED", "primaryPhone"],
    ]);
    expect(body.message.length).toBeGreaterThan(0);
    for (const d of body.details!) expect(d.message.length).toBeGreaterThan(0);
  });

  it("checks username length, emptiness and characters", async () => {
    expectInvalidData(await api.postUser(valid({ username: "" })), [["EMPTY_VALUE", "username"]]);
    expectInvalidData(await api.postUser(valid({ username: "   " })), [["EMPTY_VALUE", "username"]]);
    expectInvalidData(await api.postUser(valid({ username: "u".repeat(129) })), [["SIZE_LIMIT_EXCEEDED", "username"]]);
    expectInvalidData(await api.postUser(valid({ username: "bell\u0007" })), [["INVALID_VALUE", "username"]]);
    expectInvalidData(await api.postUser(valid({ username: "nul\u0000byte" })), [["INVALID_VALUE", "username"]]);
    expectInvalidData(await api.postUser(valid({ username: "line\nbreak" })), [["INVALID_VALUE", "username"]]);
    expectInvalidData(await api.postUser(valid({ username: "lone\ud800surrogate" })), [["INVALID_VALUE", "username"]]);
    expectInvalidData(await api.postUser(valid({ username: 12345 })), [["INVALID_VALUE", "username"]]);
    expectInvalidData(await api.postUser(valid({ username: null })), [["INVALID_VALUE", "username"]]);

    // The limits themselves are accepted; length counts characters, not UTF-16 units.
    const ok = ["u".repeat(128), "😀".repeat(128), "Zoë O'Brien-Šimůnek", "ada@example.com", "李小龍", "a+b=c {x} [y] #1 ¿?"];
    for (const username of ok) {
      const res = await api.postUser(valid({ username }));
      expect(res.status, `${username}: ${res.text}`).toBe(201);
      expect(res.body.username).toBe(username);
    }
  });

  it("checks the email address", async () => {
    for (const email of ["plain", "a@", "@b.com", "a b@c.com", "", `${"a".repeat(250)}@example.com`]) {
      const res = await api.postUser(valid({ email }));
      const body = expectError(res, 400, "INVALID_DATA");
      expect(body.details?.map((d) => d.target)).toEqual(["email"]);
    }
    expect((await api.postUser(valid({ email: "ada.lovelace+import@example.co.uk" }))).status).toBe(201);
  });

  it("checks the limits of profile attributes", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: { given: "g".repeat(257) } }, "name.given"],
      [{ name: { formatted: "f".repeat(257) } }, "name.formatted"],
      [{ nickname: "n".repeat(257) }, "nickname"],
      [{ title: "t".repeat(257) }, "title"],
      [{ externalId: "e".repeat(1025) }, "externalId"],
      [{ primaryPhone: "1".repeat(33) }, "primaryPhone"],
      [{ mobilePhone: "1".repeat(33) }, "mobilePhone"],
      [{ address: { postalCode: "9".repeat(41) } }, "address.postalCode"],
      [{ address: { streetAddress: "s".repeat(257) } }, "address.streetAddress"],
      [{ photo: { href: "h".repeat(257) } }, "photo.href"],
    ];
    for (const [over, target] of cases) {
      expectInvalidData(await api.postUser(valid(over)), [["SIZE_LIMIT_EXCEEDED", target]]);
    }
    // Exactly at the limits: accepted.
    const res = await api.postUser(
      valid({
        name: { given: "g".repeat(256) },
        externalId: "e".repeat(1024),
        primaryPhone: "1".repeat(32),
        address: { postalCode: "9".repeat(40), countryCode: "NZ" },
      }),
    );
    expect(res.status, res.text).toBe(201);
  });

  it("accepts only two capital letters as address.countryCode", async () => {
    for (const countryCode of ["us", "USA", "U", "U1", "  ", 840]) {
      expectInvalidData(await api.postUser(valid({ address: { countryCode } })), [["INVALID_VALUE", "address.countryCode"]]);
    }
    expect((await api.postUser(valid({ address: { countryCode: "DE" } }))).status).toBe(201);
  });

  it("checks booleans and lifecycle", async () => {
    for (const field of ["emailVerified", "mfaEnabled", "enabled"]) {
      for (const v of ["true", 1, 0, [], {}]) {
        expectInvalidData(await api.postUser(valid({ [field]: v })), [["INVALID_VALUE", field]]);
      }
    }
    expectInvalidData(await api.postUser(valid({ lifecycle: { status: "LOCKED" } })), [["INVALID_VALUE", "lifecycle.status"]]);
    expectInvalidData(await api.postUser(valid({ lifecycle: { suppressVerificationCode: "yes" } })), [["INVALID_VALUE", "lifecycle.suppressVerificationCode"]]);
    expectInvalidData(await api.postUser(valid({ password: { forceChange: "yes" } })), [["INVALID_VALUE", "password.forceChange"]]);
  });

  it("requires an email for VERIFICATION_REQUIRED unless the code is suppressed", async () => {
    await noRowWritten(async () => {
      expectInvalidData(await api.postUser(valid({ lifecycle: { status: "VERIFICATION_REQUIRED" } })), [["REQUIRED_VALUE", "email"]]);
      expectInvalidData(
        await api.postUser(valid({ email: null, lifecycle: { status: "VERIFICATION_REQUIRED", suppressVerificationCode: false } })),
        [["REQUIRED_VALUE", "email"]],
      );
    });
    const res = await api.postUser(valid({ lifecycle: { status: "VERIFICATION_REQUIRED", suppressVerificationCode: true } }));
    expect(res.status, res.text).toBe(201);
    expect(res.body.lifecycle).toEqual({ status: "VERIFICATION_REQUIRED" });
  });

  it("refuses password.value together with password.external.gateway", async () => {
    const res = await api.postUser(
      valid({
        password: {
          value: "Cleartext-and-gateway-1",
          external: { gateway: { id: refs.gatewayId, userType: { id: refs.userTypeId }, correlationAttributes: { uid: "x" } } },
        },
      }),
    );
    expectInvalidData(res, [["INVALID_VALUE", "password.external.gateway"]]);
  });

  it("refuses strings the database cannot store (NUL, unpaired surrogates) with 400, not 500", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ nickname: "nul\u0000inside" }, "nickname"],
      [{ name: { given: "lone\ud800" } }, "name.given"],
      [{ address: { locality: "\udfffx" } }, "address.locality"],
      [{ externalId: "\u0000" }, "externalId"],
    ];
    for (const [over, target] of cases) {
      await noRowWritten(async () => {
        expectInvalidData(await api.postUser(valid(over)), [["INVALID_VALUE", target]]);
      });
    }
    const gw = (correlationAttributes: Record<string, unknown>) =>
      valid({ password: { external: { gateway: { id: refs.gatewayId, userType: { id: refs.userTypeId }, correlationAttributes } } } });
    await noRowWritten(async () => {
      expectInvalidData(await api.postUser(gw({ uid: "a\u0000b" })), [["INVALID_VALUE", "password.external.gateway.correlationAttributes.uid"]]);
    });
    await noRowWritten(async () => {
      const res = await api.postUser(gw({ "\u0000": "x" }));
      expectError(res, 400, "INVALID_DATA");
    });
    await noRowWritten(async () => {
      const res = await api.postUser(valid({ password: { value: "pbkdf2_sha256$1000$s\u0000lt$" + Buffer.alloc(32).toString("base64") } }));
      expectInvalidData(res, [["INVALID_VALUE", "password.value"]]);
    });
  });

  it("refuses a body that is not a JSON object with target body", async () => {
    for (const body of [[], [valid()], "a string", 42, true, null]) {
      await noRowWritten(async () => {
        const res = await api.postUser(body);
        const e = expectError(res, 400, "INVALID_DATA");
        expect(e.details?.map((d) => d.target)).toEqual(["body"]);
      });
    }
  });

  it("answers malformed JSON and an empty body with 400 INVALID_REQUEST", async () => {
    for (const raw of ['{"username": "x", ', "{'username': 'x'}", "undefined", "{}}", "\u0000", "", "   "]) {
      await noRowWritten(async () => {
        expectError(await api.postUser(raw, { raw: true }), 400, "INVALID_REQUEST");
      });
    }
  });

  it("answers a body that is not UTF-8 with 400 INVALID_REQUEST", async () => {
    const bytes = Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(`","population":{"id":"${refs.defaultPopulationId}"}}`)]);
    await noRowWritten(async () => {
      expectError(await api.postUser(new Uint8Array(bytes), { raw: true }), 400, "INVALID_REQUEST");
    });
  });

  it("answers a body over 64 KB with 413, streamed or declared, and accepts exactly 64 KB", async () => {
    const json = JSON.stringify(valid());
    const padTo = (n: number) => json.slice(0, -1) + " ".repeat(n - json.length) + "}";
    const over = padTo(64 * 1024 + 1);
    expect(Buffer.byteLength(over)).toBe(65537);
    await noRowWritten(async () => {
      const res = await api.postUser(over, { raw: true });
      const body = expectError(res, 413, "INVALID_REQUEST");
      expect(body.details?.map((d) => d.code)).toEqual(["SIZE_LIMIT_EXCEEDED"]);
    });
    await noRowWritten(async () => {
      const huge = JSON.stringify(valid({ nickname: "x".repeat(1024 * 1024) }));
      expectError(await api.postUser(huge, { raw: true, headers: { "content-length": String(huge.length) } }), 413, "INVALID_REQUEST");
    });
    const exact = padTo(64 * 1024);
    expect(Buffer.byteLength(exact)).toBe(65536);
    const res = await api.postUser(exact, { raw: true });
    expect(res.status, res.text).toBe(201);
  });

  it("refuses a stored profile over 16 KB", async () => {
    // Within every per-attribute limit, but 4-byte characters make the profile about 24 KB.
    const s = (n: number) => "😀".repeat(n);
    const body = valid({
      name: { given: s(256), family: s(256), middle: s(256), formatted: s(256), honorificPrefix: s(256), honorificSuffix: s(256) },
      nickname: s(256),
      title: s(256),
      locale: s(256),
      preferredLanguage: s(256),
      timezone: s(256),
      externalId: s(1024),
      address: { streetAddress: s(256), locality: s(256), region: s(256) },
      photo: { href: s(256) },
    });
    await noRowWritten(async () => {
      expectInvalidData(await api.postUser(body), [["SIZE_LIMIT_EXCEEDED", "body"]]);
    });
  });
});

describe("rule 6: references exist in this environment → 400", () => {
  it("refuses an unknown population.id", async () => {
    await noRowWritten(async () => {
      expectInvalidData(await api.postUser(valid({ population: { id: randomUUID() } })), [["INVALID_VALUE", "population.id"]]);
    });
  });

  it("refuses a population of another environment", async () => {
    const orgAdmin = api.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
    const pops = await orgAdmin.get(`/environments/${FIXED.adminEnvId}/populations`);
    expect(pops.status).toBe(200);
    const adminPopulationId = pops.body._embedded.populations[0].id as string;
    await noRowWritten(async () => {
      expectInvalidData(await orgAdmin.postUser(valid({ population: { id: adminPopulationId } })), [["INVALID_VALUE", "population.id"]]);
    });
  });

  it("refuses an unknown identity provider", async () => {
    await noRowWritten(async () => {
      expectInvalidData(await api.postUser(valid({ identityProvider: { id: randomUUID() } })), [["INVALID_VALUE", "identityProvider.id"]]);
    });
    expectInvalidData(await api.postUser(valid({ identityProvider: { id: "google" } })), [["INVALID_VALUE", "identityProvider.id"]]);
  });

  it("refuses an unknown gateway and an unknown user type", async () => {
    const gw = (id: string, userTypeId: string) => valid({ password: { external: { gateway: { id, userType: { id: userTypeId } } } } });
    await noRowWritten(async () => {
      expectInvalidData(await api.postUser(gw(randomUUID(), refs.userTypeId)), [["INVALID_VALUE", "password.external.gateway.id"]]);
      expectInvalidData(await api.postUser(gw(refs.gatewayId, randomUUID())), [["INVALID_VALUE", "password.external.gateway.userType.id"]]);
      // A user type of the gateway passed as the gateway, and vice versa.
      expectInvalidData(await api.postUser(gw(refs.userTypeId, refs.gatewayId)), [["INVALID_VALUE", "password.external.gateway.id"]]);
    });
    expectInvalidData(await api.postUser(valid({ password: { external: { gateway: { id: refs.gatewayId } } } })), [
      ["REQUIRED_VALUE", "password.external.gateway.userType"],
    ]);
  });

  it("checks references before uniqueness", async () => {
    const taken = valid();
    expect((await api.postUser(taken)).status).toBe(201);
    expectInvalidData(await api.postUser({ ...taken, population: { id: randomUUID() } }), [["INVALID_VALUE", "population.id"]]);
    expectInvalidData(await api.postUser({ ...taken, identityProvider: { id: randomUUID() } }), [["INVALID_VALUE", "identityProvider.id"]]);
  });
});

describe("rule 7: an identity provider and a gateway together → 400", () => {
  it("refuses identityProvider.id with password.external.gateway", async () => {
    await noRowWritten(async () => {
      const res = await api.postUser(
        valid({
          identityProvider: { id: refs.googleIdpId },
          password: { external: { gateway: { id: refs.gatewayId, userType: { id: refs.userTypeId }, correlationAttributes: { uid: "r7" } } } },
        }),
      );
      expectInvalidData(res, [["INVALID_VALUE", "identityProvider.id"]]);
    });
  });

  it("accepts a gateway user whose identityProvider is null or has no id", async () => {
    for (const identityProvider of [null, {}, { id: null }, { type: "GOOGLE" }]) {
      const res = await api.postUser(
        valid({ identityProvider, password: { external: { gateway: { id: refs.gatewayId, userType: { id: refs.userTypeId } } } } }),
      );
      expect(res.status, res.text).toBe(201);
      expect(res.body.identityProvider).toEqual({ type: "PING_ONE" });
    }
  });
});

describe("rule 8: username uniqueness → 400 UNIQUENESS_VIOLATION", () => {
  it("refuses the same username in any letter case, with 400 (not 409) and the existing id", async () => {
    const first = await api.postUser(valid({ username: "Grace.Hopper" }));
    expect(first.status).toBe(201);
    await noRowWritten(async () => {
      for (const username of ["grace.hopper", "GRACE.HOPPER", "Grace.Hopper", "gRACE.hOPPER"]) {
        const res = await api.postUser(valid({ username }));
        const body = expectInvalidData(res, [["UNIQUENESS_VIOLATION", "username"]]);
        expect(body.details![0]!.innerError).toEqual({ existingId: first.body.id });
      }
    });
  });

  it("compares across populations and beyond ASCII", async () => {
    expect((await api.postUser(valid({ username: "Ärger-Öl" }))).status).toBe(201);
    await noRowWritten(async () => {
      expectInvalidData(await api.postUser(valid({ username: "ärger-öl", population: { id: refs.contractorsPopulationId } })), [
        ["UNIQUENESS_VIOLATION", "username"],
      ]);
    });
  });

  it("is per environment: the same username may exist in another environment", async () => {
    const orgAdmin = api.withToken(await app.tokenFor([{ role: "ENVIRONMENT_ADMIN", scope: "ORGANIZATION" }]));
    const username = uniqueName("two-envs");
    expect((await orgAdmin.postUser({ username, population: { id: refs.defaultPopulationId } })).status).toBe(201);
    const res = await orgAdmin.postUser({ username }, { envId: FIXED.adminEnvId, contentType: "application/json" });
    expect(res.status, res.text).toBe(201);
  });

  it("applies to plain create too", async () => {
    const username = uniqueName("plain");
    expect((await api.postUser({ username }, { contentType: "application/json" })).status).toBe(201);
    expectInvalidData(await api.postUser({ username: username.toUpperCase() }, { contentType: "application/json" }), [
      ["UNIQUENESS_VIOLATION", "username"],
    ]);
  });
});

describe("the error envelope (7)", () => {
  it("gives every error a fresh id", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add(expectError(await api.postUser({}, { contentType: "text/plain" }), 415, "INVALID_REQUEST").id);
    for (let i = 0; i < 5; i++) ids.add(expectError(await api.postUser({}), 400, "INVALID_DATA").id);
    expect(ids.size).toBe(10);
  });
});

describe("500s", () => {
  it("never answered any request in this suite with a 5xx", () => {
    const fivexx = api.transcript.filter((t) => / -> 5\d\d\n/.test(t.split("\n")[0] + "\n"));
    expect(fivexx).toEqual([]);
  });
});

import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { ApiError } from "@/lib/api/errors";
import { USER_ATTRIBUTES } from "@/lib/users/attributes";
import { userImportSchema } from "@/lib/users/schema";
import { BULK_COLUMN_PATHS, guessColumn } from "./columns";
import { csvHeader, parseRows, recordToBody, type BulkFormat, type ParsedRow } from "./parse";

/** Feeds the text in pieces of `size` bytes, so that every boundary case is crossed. */
async function rows(format: BulkFormat, text: string | Buffer, size = 7): Promise<ParsedRow[]> {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  const out: ParsedRow[] = [];
  for await (const r of parseRows(format, Readable.from(pieces))) out.push(r);
  return out;
}

async function fileError(format: BulkFormat, text: string): Promise<string> {
  try {
    await rows(format, text);
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return (err as ApiError).details![0]!.message;
  }
  throw new Error("expected the file to be refused");
}

describe("CSV", () => {
  it("reads a header of attribute paths into nested bodies, with booleans and shorthands", async () => {
    const out = await rows("csv", "username,email,name.given,name.family,population.id,password,enabled,lifecycle.status\nann,ann@example.com,Ann,Lee,p1,secret,false,ACCOUNT_OK\n");
    expect(out).toEqual([
      {
        row: 2,
        body: {
          username: "ann",
          email: "ann@example.com",
          name: { given: "Ann", family: "Lee" },
          population: { id: "p1" },
          password: { value: "secret" },
          enabled: false,
          lifecycle: { status: "ACCOUNT_OK" },
        },
      },
    ]);
  });

  it("strips a UTF-8 BOM and reads CRLF line ends", async () => {
    for (const size of [1, 3, 1000]) {
      const out = await rows("csv", "\uFEFFusername,email\r\nann,a@example.com\r\nbob,b@example.com\r\n", size);
      expect(out.map((r) => ("body" in r ? r.body : null))).toEqual([
        { username: "ann", email: "a@example.com" },
        { username: "bob", email: "b@example.com" },
      ]);
    }
  });

  it("keeps RFC 4180 quotes, doubled quotes and embedded newlines, numbering rows as a spreadsheet does", async () => {
    const csv = 'username,name.formatted,title\n"ann","Lee, ""Ann""",x\nbob,"two\nlines\r\nthree",y\ncid,plain,z\n';
    const out = await rows("csv", csv, 2);
    expect(out).toEqual([
      { row: 2, body: { username: "ann", name: { formatted: 'Lee, "Ann"' }, title: "x" } },
      { row: 3, body: { username: "bob", name: { formatted: "two\nlines\r\nthree" }, title: "y" } },
      // Row 4, although the file's line 6: a quoted multi-line field stays one row.
      { row: 4, body: { username: "cid", name: { formatted: "plain" }, title: "z" } },
    ]);
  });

  it("reads a file that mixes CRLF and LF line ends", async () => {
    const out = await rows("csv", 'username,title\nann,"a, b"\r\nbob,"c"\ncid,d\r\n', 4);
    expect(out).toEqual([
      { row: 2, body: { username: "ann", title: "a, b" } },
      { row: 3, body: { username: "bob", title: "c" } },
      { row: 4, body: { username: "cid", title: "d" } },
    ]);
  });

  it("reads unicode split across chunk boundaries", async () => {
    const out = await rows("csv", "username,name.given\nzoë,Ζωή 🦊\n小林,さくら\n", 1);
    expect(out.map((r) => ("body" in r ? r.body : null))).toEqual([
      { username: "zoë", name: { given: "Ζωή 🦊" } },
      { username: "小林", name: { given: "さくら" } },
    ]);
  });

  it("skips blank lines but counts them, as a spreadsheet shows them", async () => {
    const out = await rows("csv", "username\nann\n\n  \nbob\n");
    expect(out).toEqual([
      { row: 2, body: { username: "ann" } },
      { row: 5, body: { username: "bob" } },
    ]);
  });

  it("reports rows with missing or extra columns as row problems, and leaves empty cells out", async () => {
    const out = await rows("csv", "username,email,title\nann,,\nbob,b@example.com\ncid,c@example.com,t,extra\n");
    expect(out[0]).toEqual({ row: 2, body: { username: "ann" } });
    expect(out[1]).toMatchObject({ row: 3, username: "bob", problem: { code: "INVALID_VALUE", target: "row", message: "The row has 2 fields but the header has 3." } });
    expect(out[2]).toMatchObject({ row: 4, username: "cid", problem: { target: "row", message: "The row has 4 fields but the header has 3." } });
  });

  it("refuses a file without a usable header", async () => {
    expect(await fileError("csv", "")).toMatch(/empty/);
    expect(await fileError("csv", "email\na@example.com\n")).toMatch(/no username column/);
    expect(await fileError("csv", "username,username\n")).toMatch(/twice/);
    expect(await fileError("csv", "username,name,name.given\n")).toMatch(/both/);
    expect(await fileError("csv", "username,=cmd()\n")).toMatch(/not an attribute path/);
  });

  it("refuses malformed quoting with the row it is near", async () => {
    expect(await fileError("csv", 'username\nann\n"bob"x\n')).toMatch(/not valid CSV near row 3/);
  });
});

describe("JSON Lines", () => {
  it("reads one object a line, LF or CRLF, with or without BOM, numbering by line", async () => {
    const text = '\uFEFF{"username":"ann"}\r\n\n{"username":"zoë 🦊"}\n{oops\n[1]\n{"username":"end"}';
    const out = await rows("ndjson", text, 3);
    expect(out).toEqual([
      { row: 1, body: { username: "ann" } },
      { row: 3, body: { username: "zoë 🦊" } },
      { row: 4, problem: { code: "INVALID_VALUE", target: "row", message: "The row is not valid JSON." } },
      // Valid JSON that is no object is a body for the import's rule 4 to refuse, as the API does.
      { row: 5, body: [1] },
      { row: 6, body: { username: "end" } },
    ]);
  });
});

describe("JSON array", () => {
  it("streams elements one by one, whatever the chunk boundaries", async () => {
    const users = [
      { username: "ann", name: { given: "A]n,n{" } },
      { username: 'q"uote\\', address: { streetAddress: "1 [Main] St" } },
      { username: "zoë 🦊", tags: [[1, 2], { a: "}" }] },
    ];
    const text = "\uFEFF " + JSON.stringify(users, null, 2) + "\n";
    for (const size of [1, 5, 4096]) {
      const out = await rows("json", text, size);
      expect(out).toEqual(users.map((body, i) => ({ row: i + 1, body })));
    }
  });

  it("hands on a non-object element as it is (the import refuses it) and accepts an empty array", async () => {
    expect(await rows("json", "[]")).toEqual([]);
    const out = await rows("json", '[{"username":"a"}, 42, "x", null]');
    expect(out.slice(1)).toEqual([
      { row: 2, body: 42 },
      { row: 3, body: "x" },
      { row: 4, body: null },
    ]);
  });

  it("refuses what is not an array", async () => {
    expect(await fileError("json", '{"username":"a"}')).toMatch(/not a JSON array/);
    expect(await fileError("json", '[{"username":"a"},]')).toMatch(/not a JSON array/);
    expect(await fileError("json", '[{"username":"a"}')).toMatch(/not a JSON array/);
    expect(await fileError("json", '[{"username":"a"}] x')).toMatch(/not a JSON array/);
  });
});

describe("CSV columns follow the import schema", () => {
  const population = "0d000000-0000-4000-8000-0000000000aa";

  it("reads true and false, in any case, in every boolean column the schema has, into a body it accepts", () => {
    const booleans = USER_ATTRIBUTES.filter((a) => a.kind === "boolean").map((a) => a.path);
    expect(booleans).toEqual(expect.arrayContaining(["emailVerified", "enabled", "mfaEnabled", "password.forceChange", "lifecycle.suppressVerificationCode"]));
    for (const path of booleans) {
      for (const [cell, value] of [["TRUE", true], ["false", false], [" True ", true]] as const) {
        const body = recordToBody(["username", "population.id", path], ["ann", population, cell]);
        const parsed = userImportSchema.safeParse(body);
        expect(parsed.success, `${path}=${cell}`).toBe(true);
        expect(path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], parsed.data)).toBe(value);
      }
      // Anything else stays text, for the schema to refuse on its own target.
      const refused = userImportSchema.safeParse(recordToBody(["username", "population.id", path], ["ann", population, "yes"]));
      expect(refused.error?.issues.map((i) => i.path.join("."))).toEqual([path]);
    }
  });

  it("offers every attribute path of the schema as a column, and no object or record as one", () => {
    expect(BULK_COLUMN_PATHS).toEqual(expect.arrayContaining(["username", "population.id", "password.value", "lifecycle.suppressVerificationCode", "password.external.gateway.userType.id", "address.countryCode", "photo.href"]));
    for (const p of ["name", "address", "password", "password.external.gateway.correlationAttributes"]) expect(BULK_COLUMN_PATHS).not.toContain(p);
    expect(USER_ATTRIBUTES.find((a) => a.path === "lifecycle.status")?.values).toEqual(["ACCOUNT_OK", "VERIFICATION_REQUIRED"]);
  });

  it("guesses the attribute of common export headers, and nothing for others", () => {
    expect(["Login", "E-mail", "First name", "Last name", "password", "Population", "lifecycle.suppressVerificationCode", "Notes, internal"].map(guessColumn)).toEqual([
      "username", "email", "name.given", "name.family", "password.value", "population.id", "lifecycle.suppressVerificationCode", null,
    ]);
  });
});

describe("csvHeader (the wizard's column mapping)", () => {
  it("reads the first record as the jobs' parser does: quotes, commas inside them, BOM, a cut-off rest", () => {
    expect(csvHeader('\uFEFFLogin,"Last, First",E-mail\r\nann,"Lee, Ann",a@exa')).toEqual(["Login", "Last, First", "E-mail"]);
    expect(csvHeader('a,"two\nlines",c\nrest,"unclosed')).toEqual(["a", "two\nlines", "c"]);
  });

  it("refuses a first line that is no header", () => {
    for (const head of ["", "\r\nusername\n", '"unclosed header']) {
      expect(() => csvHeader(head), JSON.stringify(head)).toThrow(ApiError);
    }
  });
});

describe("a CSV column mapping", () => {
  it("names the columns instead of the header, and drops ignored ones", async () => {
    const text = 'Login,"Last, First",Skip\nann,"Lee, Ann",x\n';
    const out: ParsedRow[] = [];
    for await (const r of parseRows("csv", Readable.from([Buffer.from(text)]), { columns: ["username", "name.formatted", null] })) out.push(r);
    expect(out).toEqual([{ row: 2, body: { username: "ann", name: { formatted: "Lee, Ann" } } }]);
  });
});

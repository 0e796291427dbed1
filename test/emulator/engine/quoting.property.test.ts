import * as fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXED_SERVER_ROLES } from "../../../emulator/engine/system";
import { nvarchar, ok, openInstance, rows, type TestInstance } from "./helpers";

let t: TestInstance;
beforeAll(async () => {
  t = await openInstance();
});
afterAll(async () => {
  await t.engine.close();
});

/** `[` + name with `]` doubled + `]`, as the provider quotes identifiers. */
const bracket = (name: string) => `[${name.replace(/]/g, "]]")}]`;
/** `N'` + text with `'` doubled + `'`, as the provider quotes literals. */
const literal = (text: string) => `N'${text.replace(/'/g, "''")}'`;

const reserved = new Set(["sa", ...FIXED_SERVER_ROLES.map((r) => r.name)]);

/** Any Unicode text of 1–128 UTF-16 code units (sysname), without a backslash (SQL logins cannot have one). */
const loginName = fc
  .string({ unit: "binary", minLength: 1, maxLength: 64 })
  .filter((s) => s.length <= 128 && !s.includes("\\") && !reserved.has(s.toLowerCase()));
/** Any Unicode password up to 128 UTF-16 code units (CHECK_POLICY = OFF, so the policy does not filter it). */
const password = fc.string({ unit: "binary", maxLength: 64 }).filter((s) => s.length <= 128);

describe("quoting round-trips (property)", () => {
  it("any name and password quoted with brackets and N'…' survive CREATE LOGIN, the catalog and authentication", async () => {
    await fc.assert(
      fc.asyncProperty(loginName, password, async (name, pw) => {
        await ok(t.sa, `CREATE LOGIN ${bracket(name)} WITH PASSWORD = ${literal(pw)}, CHECK_POLICY = OFF`);
        try {
          const found = await rows(t.sa, "SELECT name FROM sys.server_principals WHERE name = @n AND type = 'S'", [nvarchar("@n", name)]);
          expect(found.map((r) => r.name)).toContain(name);
          expect(t.engine.authenticate(name, pw)).toEqual({ ok: true });
          if (pw.length > 0) expect(t.engine.authenticate(name, pw + "x").ok).toBe(false);
        } finally {
          await ok(t.sa, `DROP LOGIN ${bracket(name)}`);
        }
      }),
      { numRuns: 150 },
    );
  });
});

/**
 * A second, independent TDS client against a real `startEmulator` instance (not a fake handler):
 * Python's pytds logs in, runs DDL and catalog queries (one parameterised, one with CERTENCODED),
 * and what it prints must be exactly what the instance holds — checked against the catalog, against
 * node:crypto's SHA-1 of the DER, and against what the mssql driver reads. pytds' TLS needs
 * pyOpenSSL, which the pinned virtualenv lacks, so this client speaks plaintext TDS.
 * In CI an unavailable interpreter fails the test; elsewhere it is skipped with a warning.
 */
import { createHash } from "node:crypto";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pytdsInterpreter, runPython } from "../../support/pytds";
import type { EmulatorInstance } from "../../../emulator";
import { SA_PASSWORD, closeAll, connect, rows, start } from "./support";

const python = pytdsInterpreter("pytds conformance test");

describe.skipIf(!python)("pytds against a real emulator instance (second independent client)", () => {
  const now = new Date("2030-01-15T12:00:00Z");
  let instance: EmulatorInstance;
  beforeAll(async () => {
    instance = await start({ name: "PYTDS1", now: () => now });
  });
  afterAll(closeAll);

  it("logs in, creates a master key, certificate and login, and reads them back exactly", async () => {
    const stdout = await runPython(python!, path.join(__dirname, "pytds-catalog.py"), [String(instance.port), SA_PASSWORD]);
    const seen = JSON.parse(stdout) as { certificate: unknown[][] } & Record<string, unknown>;
    const der = Buffer.from((seen.certificate[0]![10] as string).slice(2), "hex");
    const thumbprint = createHash("sha1").update(der).digest();
    expect(seen).toEqual({
      tds_version: "0x74000004",
      // LOGINACK's server version: 16.0.1000 as major, minor and a big-endian build number.
      product_version: "0x100003e8",
      whoami: [["PYTDS1", "sa", "master"]],
      login: [["py]login", 256, "S", "SQL_LOGIN", 0, "master", 16]],
      certificate_columns: [
        "name",
        "certificate_id",
        "principal_id",
        "pvt_key_encryption_type",
        "pvt_key_encryption_type_desc",
        "subject",
        "start_date",
        "expiry_date",
        "key_length",
        "thumbprint",
        "der",
      ],
      certificate: [["py_cert", 256, 1, "MK", "ENCRYPTED_BY_MASTER_KEY", "pytds endpoint", "2030-01-01T00:00:00", "2031-01-01T00:00:00", 2048, `0x${thumbprint.toString("hex")}`, `0x${der.toString("hex")}`]],
      duplicate: [15025, 1, 16, "The server principal 'py]login' already exists."],
    });
    // The instance holds what pytds saw, and the mssql driver reads the same bytes.
    expect(instance.catalog()["sys.certificates"]!.map((c) => [c.name, c.thumbprint])).toEqual([["py_cert", `0x${thumbprint.toString("hex").toUpperCase()}`]]);
    const pool = await connect(instance, "encrypt-strict-ca");
    expect(await rows(pool, "SELECT CERTENCODED(CERT_ID(N'py_cert')) AS der, (SELECT name FROM sys.server_principals WHERE principal_id = 256) AS login")).toEqual([{ der, login: "py]login" }]);
  });
});

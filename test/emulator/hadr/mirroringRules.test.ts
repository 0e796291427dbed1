/**
 * The rules of ALTER DATABASE … SET PARTNER / SET WITNESS and SQL Server's error for each
 * precondition (events-and-errors 1000–1999 and 3000–3999 for the numbers and texts), tested on the
 * emulator alone: the order of the two SET PARTNER steps, the mirror copy (RESTORING, same family,
 * inside the principal's log, the log backup chain), the addresses, what runs only on the
 * principal, the settings' limits, the witness, and what a mirrored database refuses.
 */
import { afterEach, describe, expect, it } from "vitest";
import { sql, stopAll } from "./helpers";
import { errorsOf, mirroringRow, mirroringTrio, seed, sharedFolder, startSession, waitForState } from "./mirroringSupport";
import { reservePort } from "../../support/ports";

afterEach(stopAll);

const text = {
  1405: 'The database "Sales" is already enabled for database mirroring.',
  1407: 'The remote copy of database "Sales" is not related to the local copy of the database.',
  1412: 'The remote copy of database "Sales" has not been rolled forward to a point in time that is encompassed in the local copy of the database log.',
  1416: 'Database "Sales" is not configured for database mirroring.',
  1429: "The witness server instance name must be distinct from both of the server instances that manage the database. The ALTER DATABASE SET WITNESS command failed.",
  1439: 'There is currently no witness associated with database "Sales".',
  1448: 'The remote copy of database "Sales" does not exist. Check the database name and reissue the command.',
  1449: "ALTER DATABASE command failed due to an invalid server connection string.",
  1452: "The partner server instance name must be distinct from the server instance that manages the database. The ALTER DATABASE SET PARTNER command failed.",
  1465: 'Database mirroring cannot be enabled because the "Sales" database is not in full recovery mode on both partners.',
  1470: 'The alter database for this partner config values may only be initiated on the current principal server for database "Sales".',
  1476: "Database mirroring timeout value 32768 exceeds the maximum value 32767.",
  1477: 'The database mirroring safety level must be FULL to manually failover database "Sales". Set safety level to FULL and retry.',
  1478: 'The mirror database, "Sales", has insufficient transaction log data to preserve the log backup chain of the principal database. This may happen if a log backup from the principal database has not been taken or has not been restored on the mirror database.',
};
const unreachable = (url: string) =>
  `The server network address "${url}" can not be reached or does not exist. Check the network address name and that the ports for the local and remote endpoints are operational.`;
const err = (number: keyof typeof text) => ({ number, message: text[number] });

describe("SET PARTNER = 'TCP://…'", () => {
  it("runs on the mirror first: on the principal first it is 1416, and with no copy on the other side 1448", async () => {
    const { a, b } = await mirroringTrio();
    const share = await seed(a, b);
    expect(await errorsOf(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`)).toEqual([err(1416)]);
    expect((await mirroringRow(a))["mirroring_guid"]).toBeNull();
    await sql(a, "CREATE DATABASE Other");
    expect(await errorsOf(a, `ALTER DATABASE Other SET PARTNER = '${b.url}'`)).toEqual([{ number: 1448, message: text[1448].replace("Sales", "Other") }]);
    // The mirror's step alone: the copy is a mirror waiting for its principal.
    await sql(b, `ALTER DATABASE Sales SET PARTNER = '${a.url}'`);
    expect(await mirroringRow(b)).toMatchObject({ mirroring_role_desc: "MIRROR", mirroring_state_desc: "DISCONNECTED", mirroring_partner_name: a.url, mirroring_partner_instance: null });
    expect(await errorsOf(b, `RESTORE LOG Sales FROM DISK = N'${share}/Sales.trn' WITH NORECOVERY`)).toEqual([
      { number: 3104, message: "RESTORE cannot operate on database 'Sales' because it is configured for database mirroring. Use ALTER DATABASE to remove mirroring if you intend to restore the database." },
      { number: 3013, message: "RESTORE LOG is terminating abnormally." },
    ]);
    await sql(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`);
    await waitForState(a, "SYNCHRONIZED");
    expect(await errorsOf(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`)).toEqual([err(1405)]);
    expect(await errorsOf(b, `ALTER DATABASE Sales SET PARTNER = '${a.url}'`)).toEqual([err(1405)]);
  });

  it("checks the addresses (1449, 1452, 1418), the local endpoint (1418) and the recovery model (1465)", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    expect(await errorsOf(b, "ALTER DATABASE Sales SET PARTNER = 'TCP:/nowhere'")).toEqual([err(1449)]);
    expect(await errorsOf(b, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`)).toEqual([err(1452)]);
    const nobody = `TCP://127.0.0.1:${await reservePort()}`;
    await sql(b, `ALTER DATABASE Sales SET PARTNER = '${a.url}'`);
    expect(await errorsOf(a, `ALTER DATABASE Sales SET PARTNER = '${nobody}'`)).toEqual([{ number: 1418, message: unreachable(nobody) }]);
    await sql(a, "ALTER ENDPOINT Mirroring STATE = STOPPED");
    expect(await errorsOf(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`)).toEqual([{ number: 1418, message: unreachable(b.url) }]);
    await sql(a, "ALTER ENDPOINT Mirroring STATE = STARTED; CREATE DATABASE Simple; ALTER DATABASE Simple SET RECOVERY SIMPLE");
    expect(await errorsOf(a, `ALTER DATABASE Simple SET PARTNER = '${b.url}'`)).toEqual([{ number: 1465, message: text[1465].replace("Sales", "Simple") }]);
    expect((await mirroringRow(a))["mirroring_guid"]).toBeNull();
  });

  it("needs a mirror copy of the same database (1407), inside the principal's log (1412), that keeps its log backup chain (1478)", async () => {
    const { a, b } = await mirroringTrio();
    const share = await sharedFolder();
    // Another database of the same name, restored on the mirror.
    await sql(b, `CREATE DATABASE Sales; BACKUP DATABASE Sales TO DISK = N'${share}/other.bak'; DROP DATABASE Sales; RESTORE DATABASE Sales FROM DISK = N'${share}/other.bak' WITH NORECOVERY;`);
    await sql(a, `CREATE DATABASE Sales; CREATE TABLE Sales.dbo.t (id int); BACKUP DATABASE Sales TO DISK = N'${share}/a.bak'`);
    await sql(b, `ALTER DATABASE Sales SET PARTNER = '${a.url}'`);
    expect(await errorsOf(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`)).toEqual([err(1407)]);
    await sql(b, `ALTER DATABASE Sales SET PARTNER OFF; DROP DATABASE Sales;`);

    // The mirror is ahead of the principal: the principal went back to its full backup.
    await sql(a, `INSERT INTO Sales.dbo.t VALUES (1); BACKUP LOG Sales TO DISK = N'${share}/a1.trn'`);
    await sql(b, `RESTORE DATABASE Sales FROM DISK = N'${share}/a.bak' WITH NORECOVERY; RESTORE LOG Sales FROM DISK = N'${share}/a1.trn' WITH NORECOVERY; ALTER DATABASE Sales SET PARTNER = '${a.url}'`);
    await sql(a, `RESTORE DATABASE Sales FROM DISK = N'${share}/a.bak' WITH REPLACE`);
    expect(await errorsOf(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`)).toEqual([err(1412)]);
    await sql(b, `ALTER DATABASE Sales SET PARTNER OFF; DROP DATABASE Sales;`);

    // A log backup on the principal after the one the mirror restored (a scheduled job): 1478.
    await sql(a, `BACKUP DATABASE Sales TO DISK = N'${share}/a2.bak'; INSERT INTO Sales.dbo.t VALUES (2); BACKUP LOG Sales TO DISK = N'${share}/a2.trn'`);
    await sql(b, `RESTORE DATABASE Sales FROM DISK = N'${share}/a2.bak' WITH NORECOVERY; RESTORE LOG Sales FROM DISK = N'${share}/a2.trn' WITH NORECOVERY; ALTER DATABASE Sales SET PARTNER = '${a.url}'`);
    await sql(a, `INSERT INTO Sales.dbo.t VALUES (3); BACKUP LOG Sales TO DISK = N'${share}/a3.trn'`);
    expect(await errorsOf(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`)).toEqual([err(1478)]);
    // Restoring that log backup too puts the chain back: the session starts.
    await sql(b, `ALTER DATABASE Sales SET PARTNER OFF; RESTORE LOG Sales FROM DISK = N'${share}/a3.trn' WITH NORECOVERY; ALTER DATABASE Sales SET PARTNER = '${a.url}'`);
    await sql(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`);
    await waitForState(a, "SYNCHRONIZED");
  });
});

describe("the other options", () => {
  it("need a session (1416); SAFETY, TIMEOUT, FAILOVER, RESUME and WITNESS run on the principal only (1470)", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    for (const option of ["PARTNER SAFETY OFF", "PARTNER TIMEOUT 20", "PARTNER FAILOVER", "PARTNER OFF", "PARTNER SUSPEND", "PARTNER RESUME", `WITNESS = '${b.url}'`, "WITNESS OFF"]) {
      expect(await errorsOf(a, `ALTER DATABASE Sales SET ${option}`), option).toEqual([err(1416)]);
    }
    await startSession(a, b);
    await waitForState(b, "SYNCHRONIZED");
    for (const option of ["PARTNER SAFETY OFF", "PARTNER TIMEOUT 20", "PARTNER FAILOVER", "PARTNER RESUME", `WITNESS = 'TCP://127.0.0.1:1'`, "WITNESS OFF"]) {
      expect(await errorsOf(b, `ALTER DATABASE Sales SET ${option}`), option).toEqual([err(1470)]);
    }
  });

  it("TIMEOUT: at most 32767 (1476), 0 to 4 become 5; SAFETY OFF refuses FAILOVER (1477); WITNESS: a third instance (1429), WITNESS OFF needs one (1439)", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await startSession(a, b);
    await waitForState(a, "SYNCHRONIZED");
    expect(await errorsOf(a, "ALTER DATABASE Sales SET PARTNER TIMEOUT 32768")).toEqual([err(1476)]);
    await sql(a, "ALTER DATABASE Sales SET PARTNER TIMEOUT 3");
    expect((await mirroringRow(a))["mirroring_connection_timeout"]).toBe(5);
    await sql(a, "ALTER DATABASE Sales SET PARTNER TIMEOUT 30");
    expect((await mirroringRow(a))["mirroring_connection_timeout"]).toBe(30);
    expect((await mirroringRow(b))["mirroring_connection_timeout"]).toBe(30);
    await sql(a, "ALTER DATABASE Sales SET PARTNER SAFETY OFF");
    expect(await errorsOf(a, "ALTER DATABASE Sales SET PARTNER FAILOVER")).toEqual([err(1477)]);
    expect(await errorsOf(a, `ALTER DATABASE Sales SET WITNESS = '${b.url}'`)).toEqual([err(1429)]);
    expect(await errorsOf(a, `ALTER DATABASE Sales SET WITNESS = '${a.url}'`)).toEqual([err(1429)]);
    expect(await errorsOf(a, "ALTER DATABASE Sales SET WITNESS OFF")).toEqual([err(1439)]);
  });

  it("endpoint roles: a partner needs ROLE PARTNER or ALL on both sides (1418), ALL serves as either", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await sql(b, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ROLE = WITNESS)");
    expect(await errorsOf(b, `ALTER DATABASE Sales SET PARTNER = '${a.url}'`)).toEqual([{ number: 1418, message: unreachable(a.url) }]);
    await sql(b, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ROLE = ALL)");
    await sql(b, `ALTER DATABASE Sales SET PARTNER = '${a.url}'`);
    // The principal's connection addresses the mirror as a partner: a WITNESS endpoint there refuses it (28080).
    await sql(b, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ROLE = WITNESS)");
    expect(await errorsOf(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`)).toEqual([{ number: 1418, message: unreachable(b.url) }]);
    await sql(b, "ALTER ENDPOINT Mirroring FOR DATABASE_MIRRORING (ROLE = ALL)");
    await sql(a, `ALTER DATABASE Sales SET PARTNER = '${b.url}'`);
    await waitForState(a, "SYNCHRONIZED");
  });

  it("a witness whose endpoint has ROLE = PARTNER cannot be reached as a witness (1418)", async () => {
    const { a, b, w } = await mirroringTrio({ witness: true, witnessOptions: { role: "PARTNER" } });
    await seed(a, b);
    await startSession(a, b);
    await waitForState(a, "SYNCHRONIZED");
    expect(await errorsOf(a, `ALTER DATABASE Sales SET WITNESS = '${w!.url}'`)).toEqual([{ number: 1418, message: unreachable(w!.url) }]);
    expect(await mirroringRow(a)).toMatchObject({ mirroring_witness_name: null, mirroring_witness_state_desc: null });
  });
});

describe("who sees the session", () => {
  it("a login that is not sysadmin sees the principal's values but NULLs on a mirror copy, and no witness rows", async () => {
    const { a, b, w } = await mirroringTrio({ witness: true });
    await seed(a, b);
    await startSession(a, b);
    await sql(a, `ALTER DATABASE Sales SET WITNESS = '${w!.url}'`);
    await waitForState(b, "SYNCHRONIZED", "Sales", "CONNECTED");
    for (const n of [a, b, w!]) await sql(n, "CREATE LOGIN plain WITH PASSWORD = N'Str0ng!Passw0rd'");
    const asPlain = async (n: typeof a, text: string) => {
      const outcomes = await n.instance.engine.openSession("plain").execute(text);
      const rows = outcomes.find((o) => o.kind === "rows");
      return rows && rows.kind === "rows" ? rows.rows.map((r) => Object.fromEntries(rows.columns.map((c, i) => [c.name, r[i]]))) : [];
    };
    const probe = "SELECT database_id, mirroring_role_desc, mirroring_state_desc FROM sys.database_mirroring WHERE database_id = 5";
    expect(await asPlain(a, probe)).toEqual([{ database_id: 5, mirroring_role_desc: "PRINCIPAL", mirroring_state_desc: "SYNCHRONIZED" }]);
    expect(await asPlain(b, probe)).toEqual([{ database_id: 5, mirroring_role_desc: null, mirroring_state_desc: null }]);
    expect(await asPlain(w!, "SELECT * FROM sys.database_mirroring_witnesses")).toEqual([]);
  });
});

describe("a mirrored database", () => {
  it("cannot be dropped (3743), restored over (3104) or taken out of FULL recovery (1468); system databases and transactions are refused first", async () => {
    const { a, b } = await mirroringTrio();
    await seed(a, b);
    await startSession(a, b);
    expect(await errorsOf(a, "DROP DATABASE Sales")).toEqual([
      { number: 3743, message: "The database 'Sales' is enabled for database mirroring. Database mirroring must be removed before you drop the database." },
    ]);
    expect(await errorsOf(a, "ALTER DATABASE Sales SET RECOVERY SIMPLE")).toEqual([
      { number: 1468, message: 'The operation cannot be performed on database "Sales" because it is involved in a database mirroring session.' },
      { number: 5069, message: "ALTER DATABASE statement failed." },
    ]);
    expect(await errorsOf(b, "RESTORE DATABASE Sales WITH RECOVERY")).toEqual([
      { number: 3104, message: "RESTORE cannot operate on database 'Sales' because it is configured for database mirroring. Use ALTER DATABASE to remove mirroring if you intend to restore the database." },
      { number: 3013, message: "RESTORE DATABASE is terminating abnormally." },
    ]);
    expect(await errorsOf(a, `ALTER DATABASE master SET PARTNER = '${b.url}'`)).toEqual([
      { number: 5058, message: "Option 'PARTNER' cannot be set in database 'master'." },
      { number: 5069, message: "ALTER DATABASE statement failed." },
    ]);
    expect(await errorsOf(a, "ALTER DATABASE Nowhere SET PARTNER OFF")).toEqual([
      { number: 5011, message: "User does not have permission to alter database 'Nowhere', the database does not exist, or the database is not in a state that allows access checks." },
      { number: 5069, message: "ALTER DATABASE statement failed." },
    ]);
    expect(await errorsOf(a, "BEGIN TRANSACTION; ALTER DATABASE Sales SET PARTNER SAFETY OFF; ROLLBACK")).toEqual([
      { number: 226, message: "ALTER DATABASE statement not allowed within multi-statement transaction." },
    ]);
  });

  it("the grammar: one option per statement, literal addresses, FORCE_SERVICE_ALLOW_DATA_LOSS outside the subset", async () => {
    const { a } = await mirroringTrio();
    await sql(a, "CREATE DATABASE Sales");
    expect((await errorsOf(a, "ALTER DATABASE Sales SET PARTNER SAFETY MEDIUM")).map((e) => e.number)).toEqual([102]);
    expect((await errorsOf(a, "ALTER DATABASE Sales SET PARTNER OFF, WITNESS OFF")).map((e) => e.number)).toEqual([102]);
    expect((await errorsOf(a, "DECLARE @u nvarchar(100) = N'TCP://x:1'; ALTER DATABASE Sales SET PARTNER = @u")).map((e) => e.number)).toEqual([102]);
    expect((await errorsOf(a, "ALTER DATABASE Sales SET PARTNER TIMEOUT -1")).map((e) => e.number)).toEqual([102]);
    expect(await errorsOf(a, "ALTER DATABASE Sales SET PARTNER FORCE_SERVICE_ALLOW_DATA_LOSS")).toEqual([
      { number: 50000, message: "ALTER DATABASE … SET PARTNER FORCE_SERVICE_ALLOW_DATA_LOSS is not supported by the emulator." },
    ]);
  });
});

/** The mirroring readers on recorded rows: exact SELECT text and parameters, every column mapped, NULLs as SQL Server returns them, loud failures on rows of the wrong shape. */
import { describe, expect, it } from "vitest";
import { mirroringPartnerQuery, mirroringWitnessQuery, seedingStateQuery } from "../../../provider/sql/mirroringCatalog";
import { databaseRow, GUID, partnerReply, seedingReply, sessionRow, witnessed, witnessRow } from "./mirroringFakes";

describe("mirroringPartnerQuery", () => {
  it("is one request of three SELECTs over master.sys views, the name a real parameter", () => {
    const query = mirroringPartnerQuery("Or]d'ers");
    expect(query.resultCount).toBe(3);
    expect(query.statements.map((s) => s.sql)).toEqual([
      "SELECT @@SERVERNAME AS server_name",
      "SELECT d.name, d.database_id, d.state_desc, d.recovery_model_desc, d.is_read_only, d.user_access_desc, d.is_auto_close_on, d.group_database_id, r.last_log_backup_lsn, " +
        "m.mirroring_guid, m.mirroring_role_desc, m.mirroring_state_desc, m.mirroring_safety_level_desc, m.mirroring_partner_name, m.mirroring_partner_instance, " +
        "m.mirroring_witness_name, m.mirroring_witness_state_desc, m.mirroring_connection_timeout FROM master.sys.databases AS d " +
        "LEFT JOIN master.sys.database_mirroring AS m ON m.database_id = d.database_id LEFT JOIN master.sys.database_recovery_status AS r ON r.database_id = d.database_id WHERE d.name = @database",
      "SELECT e.role_desc, e.state_desc FROM master.sys.database_mirroring_endpoints AS e",
    ]);
    expect(query.statements[1]!.params).toEqual({ database: { type: "nvarchar", value: "Or]d'ers" } });
  });

  it("maps a principal's row: the session as it sees it, the GUID upper-cased, an empty witness name as none", () => {
    const record = mirroringPartnerQuery("sales").map(partnerReply("SQL-A", sessionRow("PRINCIPAL")));
    expect(record).toEqual({
      serverName: "SQL-A",
      database: {
        name: "sales",
        databaseId: 5,
        state: "ONLINE",
        recoveryModel: "FULL",
        readOnly: false,
        userAccess: "MULTI_USER",
        autoClose: false,
        inAvailabilityGroup: false,
        logChainStarted: true,
        session: {
          mirroringGuid: GUID,
          role: "PRINCIPAL",
          state: "SYNCHRONIZED",
          safety: "FULL",
          partnerName: "TCP://sql-b.corp:5023",
          partnerInstance: "SQL-B",
          witnessName: null,
          witnessState: null,
          connectionTimeout: 10,
        },
      },
      endpoint: { role: "PARTNER", state: "STARTED" },
    });
  });

  it("a witnessed mirror copy; a database in no session; no database; no endpoint", () => {
    const q = mirroringPartnerQuery("sales");
    expect(q.map(partnerReply("SQL-B", witnessed("MIRROR", { mirroring_witness_state_desc: "DISCONNECTED" })))?.database).toMatchObject({
      state: "RESTORING",
      logChainStarted: false,
      session: { role: "MIRROR", witnessName: "TCP://sql-w.corp:5024", witnessState: "DISCONNECTED" },
    });
    expect(q.map(partnerReply("SQL-B", databaseRow({ group_database_id: 3 })))?.database).toMatchObject({ session: null, inAvailabilityGroup: true });
    expect(q.map(partnerReply("SQL-B", null, null))).toEqual({ serverName: "SQL-B", database: null, endpoint: null });
    expect(q.map([[{ server_name: null }], [], [{ role_desc: "WITNESS", state_desc: "STOPPED" }]])).toEqual({ serverName: null, database: null, endpoint: { role: "WITNESS", state: "STOPPED" } });
  });

  it("every documented state, role, safety and witness state maps; anything else fails loudly", () => {
    const q = mirroringPartnerQuery("sales");
    for (const state of ["SUSPENDED", "DISCONNECTED", "SYNCHRONIZING", "PENDING_FAILOVER", "SYNCHRONIZED", "UNSYNCHRONIZED"]) {
      expect(q.map(partnerReply("A", sessionRow("PRINCIPAL", { mirroring_state_desc: state })))?.database?.session?.state).toBe(state);
    }
    expect(q.map(partnerReply("A", sessionRow("PRINCIPAL", { mirroring_safety_level_desc: "UNKNOWN", mirroring_witness_state_desc: "UNKNOWN" })))?.database?.session).toMatchObject({ safety: "UNKNOWN", witnessState: "UNKNOWN" });
    expect(() => q.map(partnerReply("A", sessionRow("PRINCIPAL", { mirroring_role_desc: "WITNESS" })))).toThrow(
      "unexpected catalog row: column mirroring_role_desc should be one of PRINCIPAL, MIRROR, got 'WITNESS'",
    );
    expect(() => q.map(partnerReply("A", sessionRow("PRINCIPAL", { mirroring_connection_timeout: "10" })))).toThrow("column mirroring_connection_timeout should be an integer");
    expect(() => q.map([[], [], []])).toThrow("unexpected catalog result: SELECT @@SERVERNAME returned no row");
    expect(() => q.map([[{ server_name: "A" }], [databaseRow(), databaseRow()], []])).toThrow("unexpected catalog result: 2 databases named [sales]");
  });
});

describe("mirroringWitnessQuery", () => {
  it("reads sys.database_mirroring_witnesses for the database, every session it serves", () => {
    const query = mirroringWitnessQuery("sales");
    expect(query.statements.map((s) => s.sql)).toEqual([
      "SELECT w.database_name, w.principal_server_name, w.mirror_server_name, w.safety_level_desc, w.mirroring_guid, w.is_suspended, w.partner_sync_state_desc " +
        "FROM master.sys.database_mirroring_witnesses AS w WHERE w.database_name = @database ORDER BY w.principal_server_name",
    ]);
    expect(query.map([[witnessRow(), witnessRow({ principal_server_name: "SQL-C", mirror_server_name: "SQL-D", is_suspended: true, partner_sync_state_desc: "UNSYNCHRONIZED" })]])).toEqual([
      { database: "sales", principalServerName: "SQL-A", mirrorServerName: "SQL-B", safety: "FULL", mirroringGuid: GUID, suspended: false, partnerSyncState: "SYNCHRONIZED" },
      { database: "sales", principalServerName: "SQL-C", mirrorServerName: "SQL-D", safety: "FULL", mirroringGuid: GUID, suspended: true, partnerSyncState: "UNSYNCHRONIZED" },
    ]);
    expect(query.map([[]])).toEqual([]);
  });
});

describe("seedingStateQuery", () => {
  it("reads sys.databases and sys.database_recovery_status only", () => {
    const query = seedingStateQuery("sales");
    expect(query.statements.map((s) => s.sql)).toEqual([
      "SELECT d.state_desc, d.recovery_model_desc, d.group_database_id, r.last_log_backup_lsn FROM master.sys.databases AS d " +
        "LEFT JOIN master.sys.database_recovery_status AS r ON r.database_id = d.database_id WHERE d.name = @database",
    ]);
    expect(query.map(seedingReply())).toEqual({ state: "ONLINE", recoveryModel: "FULL", logChainStarted: true, inAvailabilityGroup: false });
    expect(query.map(seedingReply({ state_desc: "RESTORING", last_log_backup_lsn: null }))).toEqual({ state: "RESTORING", recoveryModel: "FULL", logChainStarted: false, inAvailabilityGroup: false });
    expect(query.map(seedingReply(null))).toBeUndefined();
  });
});

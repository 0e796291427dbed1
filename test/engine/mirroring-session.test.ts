/**
 * A database mirroring session through the real Pulumi CLI, in the prod stack's shape (two partners
 * and a witness, encryption REQUIRED with AES), from bare instances with a database to a SYNCHRONIZED
 * session in one `up`; unchanged preview without a request; drift (CONNECT revoked on the mirror and
 * its connections cut) shown as DISCONNECTED and repaired; the principal's instance stopped — the
 * mirror takes over with every row — and back as the mirror, which refresh and up take as a fact; a
 * planned fail-back through the program; destroy leaving both copies. Emulator only (mirroring is
 * Windows-only on real SQL Server and the workflow's containers are Linux).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type EmulatorInstance } from "../../emulator";
import { createProject, pulumiAvailable, recorded, ROOT, type TestProject } from "./pulumiProject";
import { SA_PASSWORD, traffic, tsql } from "./emulators";
import { reservePorts } from "../support/ports";

const NAMES = ["sql-a", "sql-b", "sql-w"] as const;
type Name = (typeof NAMES)[number];
const DB = "orders";
// Stack, topology, 3 × (instance component + master key + certificate + endpoint), 6 trusts × 5, the session.
const RESOURCES = 1 + 1 + 3 * 4 + 6 * 5 + 1;
const SESSION = `test-mirror-sql-a-sql-b-${DB}`;

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Three emulated instances (sql-a with the database, FULL recovery, a row and a full backup; sql-b;
 * the witness sql-w), each with its own dataDir so that it can be stopped and started again, and a
 * project of the root program in the prod stack's shape, for the enclosing describe.
 */
function useMirroringStack() {
  const root = mkdtempSync(path.join(os.tmpdir(), "mirroring-engine-"));
  const seed = path.join(root, "seed");
  const instances = new Map<Name, EmulatorInstance>();
  const tdsPorts = new Map<Name, number>();
  let endpointPorts: number[];
  const fx = { project: undefined as unknown as TestProject };
  const on = (n: Name) => instances.get(n)!;
  /** Starts (or starts again, on the same port and data) one instance. */
  const start = async (n: Name) => {
    const port = tdsPorts.get(n);
    const i = await startEmulator({ saPassword: SA_PASSWORD, name: n.toUpperCase(), dataDir: path.join(root, n), ...(port !== undefined ? { port } : {}) });
    tdsPorts.set(n, i.port);
    instances.set(n, i);
  };
  const session = async (n: Name) =>
    (await tsql(on(n), `SELECT mirroring_role_desc AS role, mirroring_state_desc AS state, mirroring_witness_state_desc AS witness FROM sys.database_mirroring WHERE database_id = DB_ID(N'${DB}')`))[0];
  const outputs = async () => (await fx.project.stack.outputs()).mirroringSessions!.value as Record<string, { roles: Record<string, string | null>; currentPrincipal: string; mirroringState: string | null; witnessState: string | null }>;
  const setMirroring = (extra: Record<string, unknown> = {}) => {
    const member = (n: Name, i: number) => ({ name: n, server: "127.0.0.1", port: tdsPorts.get(n)!, endpointPort: endpointPorts[i]! });
    return fx.project.stack.setConfig("topology", {
      value: JSON.stringify({
        partners: [member("sql-a", 0), member("sql-b", 1)],
        witness: member("sql-w", 2),
        encryption: "REQUIRED",
        algorithm: "AES",
        mirroring: { databases: [DB], seeding: { backupPath: seed }, ...extra },
      }),
    });
  };

  beforeAll(async () => {
    endpointPorts = await reservePorts(3);
    // The folder both partners reach (a share in real life): SQL Server does not create it (3201).
    mkdirSync(seed);
    for (const n of NAMES) await start(n);
    const a = on("sql-a");
    await tsql(a, `CREATE DATABASE [${DB}]`);
    await tsql(a, `ALTER DATABASE [${DB}] SET RECOVERY FULL`);
    await tsql(a, `CREATE TABLE [${DB}].dbo.orders (id int NOT NULL PRIMARY KEY, item nvarchar(50) NOT NULL)`);
    await tsql(a, `INSERT INTO [${DB}].dbo.orders (id, item) VALUES (1, N'before up')`);
    await tsql(a, `BACKUP DATABASE [${DB}] TO DISK = N'${DB}-full.bak'`);
    fx.project = await createProject({
      source: ROOT,
      include: ["Pulumi.yaml", "program"],
      files: { "ca.pem": a.tlsCertificate },
      config: {
        topology: { value: "{}" },
        sqlLogin: { value: "sa" },
        sqlPassword: { value: SA_PASSWORD, secret: true },
        masterKeyPassword: { value: "Marker-DbmMK-7c3d!", secret: true },
        tlsCaFile: { value: "ca.pem" },
      },
    });
    await setMirroring();
  });

  afterAll(async () => {
    await fx.project?.stack.destroy({ color: "never" }).catch(() => undefined);
    fx.project?.remove();
    await Promise.all([...instances.values()].map((i) => i.stop()));
    rmSync(root, { recursive: true, force: true });
  });

  return Object.assign(fx, { instances, on, start, session, outputs, setMirroring });
}

describe.runIf(pulumiAvailable())("a mirroring session with a witness through the Pulumi CLI", { timeout: 300_000 }, () => {
  const fx = useMirroringStack();
  const { instances, on, start, session, outputs, setMirroring } = fx;

  it("goes from bare instances with a database to a SYNCHRONIZED session with its witness CONNECTED in one up", async () => {
    const up = await fx.project.stack.up(recorded(fx.project));
    expect(up.summary.resourceChanges).toEqual({ create: RESOURCES });
    expect((await outputs())[DB]).toEqual({ roles: { "sql-a": "PRINCIPAL", "sql-b": "MIRROR" }, currentPrincipal: "sql-a", mirroringState: "SYNCHRONIZED", witnessState: "CONNECTED" });
    expect(await session("sql-a")).toEqual({ role: "PRINCIPAL", state: "SYNCHRONIZED", witness: "CONNECTED" });
    expect(await session("sql-b")).toEqual({ role: "MIRROR", state: "SYNCHRONIZED", witness: "CONNECTED" });
    expect(await tsql(on("sql-b"), `SELECT state_desc FROM sys.databases WHERE name = N'${DB}'`)).toEqual([{ state_desc: "RESTORING" }]);
    expect(await tsql(on("sql-w"), "SELECT database_name, principal_server_name, mirror_server_name FROM sys.database_mirroring_witnesses")).toEqual([
      { database_name: DB, principal_server_name: "SQL-A", mirror_server_name: "SQL-B" },
    ]);
  });

  it("previews no change without a request to any server", async () => {
    const t0 = traffic([...instances.values()]);
    const preview = await fx.project.stack.preview(recorded(fx.project));
    expect(preview.changeSummary).toEqual({ same: RESOURCES });
    expect(traffic([...instances.values()])).toEqual(t0);
  });

  it("drift: CONNECT revoked on the mirror and its connections cut → DISCONNECTED; refresh shows it; up repairs → SYNCHRONIZED", async () => {
    const b = on("sql-b");
    await tsql(b, "REVOKE CONNECT ON ENDPOINT::[hadr_endpoint] FROM [mirroring_sql-a_login]");
    await tsql(b, "ALTER ENDPOINT [hadr_endpoint] STATE = STOPPED");
    await tsql(b, "ALTER ENDPOINT [hadr_endpoint] STATE = STARTED");
    await eventually("the session DISCONNECTED", async () => (await session("sql-a"))?.state === "DISCONNECTED");
    const refresh = await fx.project.stack.refresh(recorded(fx.project));
    // The grant is gone (deleted from state); the session's state output changed.
    expect(refresh.summary.resourceChanges).toEqual({ same: RESOURCES - 2, delete: 1, update: 1 });
    const up = await fx.project.stack.up(recorded(fx.project));
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges?.create).toBe(1);
    await eventually("the session SYNCHRONIZED again", async () => (await session("sql-a"))?.state === "SYNCHRONIZED");
  });

  it("the principal's instance stops: the mirror becomes principal with every row; back, it is the mirror; refresh and up take it as a fact", async () => {
    await tsql(on("sql-a"), `INSERT INTO [${DB}].dbo.orders (id, item) VALUES (2, N'just before the failover')`);
    await on("sql-a").stop();
    await eventually("sql-b principal", async () => (await session("sql-b"))?.role === "PRINCIPAL", 60_000);
    expect(await tsql(on("sql-b"), `SELECT id, item FROM [${DB}].dbo.orders ORDER BY id`)).toEqual([
      { id: 1, item: "before up" },
      { id: 2, item: "just before the failover" },
    ]);
    await start("sql-a");
    await eventually("sql-a back as the mirror, synchronized", async () => {
      const s = await session("sql-a");
      return s?.role === "MIRROR" && s.state === "SYNCHRONIZED";
    }, 60_000);
    const refresh = await fx.project.stack.refresh(recorded(fx.project));
    expect(refresh.summary.result).toBe("succeeded");
    const up = await fx.project.stack.up({ ...recorded(fx.project), refresh: true });
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES });
    expect((await outputs())[DB]).toEqual({ roles: { "sql-a": "MIRROR", "sql-b": "PRINCIPAL" }, currentPrincipal: "sql-b", mirroringState: "SYNCHRONIZED", witnessState: "CONNECTED" });
    expect((await session("sql-b"))?.role).toBe("PRINCIPAL");
  });

  it("fails back only when the program asks: principal: sql-a previews one update and up performs a planned failover", async () => {
    await setMirroring({ principal: "sql-a" });
    const preview = await fx.project.stack.preview({ ...recorded(fx.project), diff: true });
    expect(preview.changeSummary).toEqual({ same: RESOURCES - 1, update: 1 });
    expect(preview.stdout).toContain(SESSION);
    const up = await fx.project.stack.up(recorded(fx.project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES - 1, update: 1 });
    expect(await session("sql-a")).toEqual({ role: "PRINCIPAL", state: "SYNCHRONIZED", witness: "CONNECTED" });
    expect((await outputs())[DB]!.currentPrincipal).toBe("sql-a");
  });

  it("destroy ends the session and leaves both copies: principal ONLINE with its rows, mirror RESTORING", async () => {
    const destroy = await fx.project.stack.destroy(recorded(fx.project));
    expect(destroy.summary.resourceChanges).toEqual({ delete: RESOURCES });
    expect(await tsql(on("sql-a"), `SELECT state_desc FROM sys.databases WHERE name = N'${DB}'`)).toEqual([{ state_desc: "ONLINE" }]);
    expect(await tsql(on("sql-b"), `SELECT state_desc FROM sys.databases WHERE name = N'${DB}'`)).toEqual([{ state_desc: "RESTORING" }]);
    expect(await session("sql-a")).toEqual({ role: null, state: null, witness: null });
    expect(await tsql(on("sql-a"), `SELECT COUNT(*) AS n FROM [${DB}].dbo.orders`)).toEqual([{ n: 2 }]);
    expect(await tsql(on("sql-w"), "SELECT database_name FROM sys.database_mirroring_witnesses")).toEqual([]);
  });
});

/** A pattern that counts the statements it matched: the proof that a fault hook fired. */
class Matched extends RegExp {
  hits = 0;
  override test(text: string): boolean {
    const matched = super.test(text);
    if (matched) this.hits++;
    return matched;
  }
}

describe.runIf(pulumiAvailable())("a mirroring session's faults through the Pulumi CLI", { timeout: 300_000 }, () => {
  const fx = useMirroringStack();
  const { on, start, session } = fx;

  it("a reply lost after SET PARTNER on the mirror, after SET PARTNER on the principal and after SET WITNESS: one up succeeds, nothing pending", async () => {
    const faults = [new Matched("SET PARTNER = N'TCP:", "i"), new Matched("SET PARTNER = N'TCP:", "i"), new Matched("SET WITNESS = N'TCP:", "i")];
    on("sql-b").faults.dropConnectionOn(faults[0]!, "after");
    on("sql-a").faults.dropConnectionOn(faults[1]!, "after");
    on("sql-a").faults.dropConnectionOn(faults[2]!, "after");
    const up = await fx.project.stack.up(recorded(fx.project));
    expect(up.summary.resourceChanges).toEqual({ create: RESOURCES });
    // Each statement ran and its reply was lost exactly once.
    expect(faults.map((f) => f.hits)).toEqual([1, 1, 1]);
    expect(await session("sql-a")).toEqual({ role: "PRINCIPAL", state: "SYNCHRONIZED", witness: "CONNECTED" });
    expect(await session("sql-b")).toEqual({ role: "MIRROR", state: "SYNCHRONIZED", witness: "CONNECTED" });
    expect(JSON.stringify(await fx.project.stack.exportStack())).not.toContain('"createPending":true');
  });

  it("the mirror's instance down during up: up fails naming it, and once it is back a rerun converges", async () => {
    await fx.project.stack.destroy(recorded(fx.project));
    // Destroy left the mirror copy RESTORING, as it must; the test removes it to seed afresh.
    await tsql(on("sql-b"), `DROP DATABASE [${DB}]`);
    await on("sql-b").stop();
    const failure = await fx.project.stack.up(recorded(fx.project)).then(
      () => "succeeded",
      (e: unknown) => String(e),
    );
    expect(failure).toContain(`cannot reach SQL Server`);
    expect(failure).toContain(`127.0.0.1:${on("sql-b").port}`);
    await start("sql-b");
    const rerun = await fx.project.stack.up(recorded(fx.project));
    expect(rerun.summary.result).toBe("succeeded");
    expect(await session("sql-a")).toEqual({ role: "PRINCIPAL", state: "SYNCHRONIZED", witness: "CONNECTED" });
    expect(await session("sql-b")).toEqual({ role: "MIRROR", state: "SYNCHRONIZED", witness: "CONNECTED" });
  });
});

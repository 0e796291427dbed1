/**
 * Certificate rotation while what uses the endpoints is running, through the real Pulumi CLI: an
 * availability group of three replicas, and a mirroring session with a witness, each rotated by
 * `rotateBeforeDays` with the group's (or session's) states polled continuously during `up` — no
 * replica or partner ever reported anything but CONNECTED / SYNCHRONIZED, no new connection refused —
 * then every endpoint restarted so that every connection is made again with the new certificates,
 * and a row written afterwards reaching the other copies. Emulator only: the clock moves.
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, TEST_CLOCK_VARIABLE } from "../../provider/resources/certificateLifecycle";
import { createProject, pulumiAvailable, recorded, ROOT, type TestProject } from "./pulumiProject";
import { acquire, handshake, requestCount, tsqlOn, whilePolling, type Target, type TargetSet } from "./targets";
import { reservePorts } from "../support/ports";

const VALIDITY_DAYS = 30;
const ROTATE_BEFORE_DAYS = 10;
const T0 = new Date("2031-03-01T00:00:00Z");
const FIRST_EXPIRY = new Date(T0.getTime() - 3_600_000 + VALIDITY_DAYS * DAY_MS);
// Stack, topology component, 3 × (instance component + master key + certificate + endpoint),
// 6 × (trust component + login + user + peer certificate + grant).
const MESH = 1 + 1 + 3 * 4 + 6 * 5;
// 3 certificates and 6 peer certificates replaced, 3 endpoints switched; nothing that uses them changes.
const rotation = (resources: number) => ({ same: resources - 12, replace: 9, update: 3 });
const iso = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
const ok = (what: string) => `${what}: ok`;

/** Polls until `probe` is true, at most `timeoutMs`. */
async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One mesh of three emulated instances with a moving clock and the root program. */
function meshFixture(names: readonly string[], topologyExtras: (t: Target[], ports: number[], folder: string) => Record<string, unknown>, shape: "replicas" | "partners") {
  const clock = { now: T0 };
  const f = {
    set: undefined as unknown as TargetSet,
    instances: [] as Target[],
    project: undefined as unknown as TestProject,
    ports: [] as number[],
    folder: "",
    byName: (n: string) => f.instances[names.indexOf(n)]!,
    setClock(d: Date) {
      clock.now = d;
      f.project.stack.workspace.envVars[TEST_CLOCK_VARIABLE] = iso(d);
    },
    async setup(prepare: (t: Target[], folder: string) => Promise<void>) {
      f.ports = await reservePorts(names.length);
      f.set = await acquire("emulator", names.length, { now: () => clock.now });
      f.instances = f.set.targets;
      f.folder = mkdtempSync(path.join(os.tmpdir(), "rotation-seed-"));
      await prepare(f.instances, f.folder);
      const members = names.map((name, i) => ({ name, server: f.instances[i]!.sql.server, port: f.instances[i]!.sql.port, endpointPort: f.ports[i]! }));
      const topology =
        shape === "replicas"
          ? { replicas: members }
          : { partners: members.slice(0, 2), witness: members[2] };
      const tls = f.instances[0]!.sql;
      f.project = await createProject({
        source: ROOT,
        include: ["Pulumi.yaml", "program"],
        files: { "ca.pem": tls.ca! },
        config: {
          topology: {
            value: JSON.stringify({
              ...topology,
              certificateValidityDays: VALIDITY_DAYS,
              certificateRotateBeforeDays: ROTATE_BEFORE_DAYS,
              ...topologyExtras(f.instances, f.ports, f.folder),
            }),
          },
          sqlLogin: { value: tls.user },
          sqlPassword: { value: tls.password, secret: true },
          masterKeyPassword: { value: "Marker-RotMK-5b1c!", secret: true },
          tlsCaFile: { value: "ca.pem" },
        },
      });
      f.setClock(T0);
    },
    /**
     * Moves the clock into the rotation window, checks the preview (0 requests, the rotation's
     * replacements), then runs `up` with `poll` called continuously; returns what the polls saw unhealthy.
     */
    async rotateWatched(resources: number, poll: () => Promise<string[]>, what: string) {
      f.setClock(new Date(FIRST_EXPIRY.getTime() - ROTATE_BEFORE_DAYS * DAY_MS));
      const t0 = requestCount(f.set);
      const preview = await f.project.stack.preview(recorded(f.project));
      expect(requestCount(f.set)).toEqual(t0);
      expect(preview.changeSummary).toEqual(rotation(resources));
      const started = Date.now();
      const { value: up, refusals, polls } = await whilePolling(poll, () => f.project.stack.up(recorded(f.project)));
      console.log(`rotation under ${what}: up ${Date.now() - started} ms, ${polls} polls, ${refusals.length} not healthy`);
      expect(up.summary.resourceChanges).toEqual(rotation(resources));
      expect(polls).toBeGreaterThan(10);
      return refusals;
    },
    /** Stops and starts every endpoint, so that every connection is made again (with the current certificates). */
    async restartEndpoints() {
      for (const n of names) {
        await tsqlOn(f.byName(n), "ALTER ENDPOINT [hadr_endpoint] STATE = STOPPED");
        await tsqlOn(f.byName(n), "ALTER ENDPOINT [hadr_endpoint] STATE = STARTED");
      }
    },
    async teardown() {
      await f.project?.stack.destroy({ color: "never" }).catch(() => undefined);
      f.project?.remove();
      await f.set?.stop();
      if (f.folder) rmSync(f.folder, { recursive: true, force: true });
    },
  };
  return f;
}

/** A database as a DBA has it before a group or session: FULL recovery, a table with a row, a full backup. */
async function prepareDatabase(on: Target, db: string): Promise<void> {
  await tsqlOn(on, `CREATE DATABASE [${db}]`);
  await tsqlOn(on, `ALTER DATABASE [${db}] SET RECOVERY FULL`);
  await tsqlOn(on, `CREATE TABLE [${db}].dbo.orders (id int NOT NULL PRIMARY KEY, item nvarchar(50) NOT NULL)`);
  await tsqlOn(on, `INSERT INTO [${db}].dbo.orders (id, item) VALUES (1, N'before')`);
  await tsqlOn(on, `BACKUP DATABASE [${db}] TO DISK = N'${db}-full.bak'`);
}

const runEngine = pulumiAvailable();

describe.runIf(runEngine)("certificate rotation under a running availability group (3 replicas)", { timeout: 300_000 }, () => {
  const NAMES = ["sql-a", "sql-b", "sql-c"] as const;
  // + 3 server names, the group, 2 joins, 1 database.
  const RESOURCES = MESH + 3 + 1 + 2 + 1;
  const f = meshFixture(NAMES, () => ({ availabilityGroup: { name: "rotag", databases: ["sales"], readableSecondaries: "ALL" } }), "replicas");

  /** The group as its primary (sql-a) sees it: "<replica>: ok" when CONNECTED and its copy SYNCHRONIZED. */
  const groupStates = async (): Promise<string[]> => {
    const primary = f.byName("sql-a");
    const replicas = await tsqlOn(
      primary,
      `SELECT ar.replica_server_name AS r, rs.connected_state_desc AS c, rs.last_connect_error_number AS e
         FROM sys.availability_replicas ar JOIN sys.dm_hadr_availability_replica_states rs ON rs.replica_id = ar.replica_id`,
    );
    const copies = await tsqlOn(
      primary,
      `SELECT ar.replica_server_name AS r, drs.synchronization_state_desc AS s
         FROM sys.dm_hadr_database_replica_states drs JOIN sys.availability_replicas ar ON ar.replica_id = drs.replica_id`,
    );
    return [
      ...replicas.map((x) => (x.c === "CONNECTED" ? ok(`replica ${String(x.r)}`) : `replica ${String(x.r)}: ${String(x.c)} ${String(x.e)}`)),
      ...copies.map((x) => (x.s === "SYNCHRONIZED" ? ok(`copy on ${String(x.r)}`) : `copy on ${String(x.r)}: ${String(x.s)}`)),
    ];
  };
  const handshakes = async () =>
    Promise.all(NAMES.flatMap((from) => NAMES.filter((to) => to !== from).map(async (to) => `${from}->${to}: ${await handshake(f.byName(from), f.byName(to), { from: "replica", to: "replica" })}`)));
  const everything = async () => [...(await groupStates()), ...(await handshakes())];
  // Replica names are each instance's @@SERVERNAME.
  const healthy = () => {
    const servers = f.instances.map((t) => t.emulator!.name);
    return [...servers.map((n) => ok(`replica ${n}`)), ...servers.map((n) => ok(`copy on ${n}`))].sort();
  };

  beforeAll(() => f.setup(async (t) => prepareDatabase(t[0]!, "sales")));
  afterAll(() => f.teardown());

  it("creates the group: every replica CONNECTED, the copies SYNCHRONIZED", async () => {
    const up = await f.project.stack.up(recorded(f.project));
    expect(up.summary.resourceChanges).toEqual({ create: RESOURCES });
    await eventually("a healthy group", async () => JSON.stringify((await groupStates()).sort()) === JSON.stringify(healthy()));
  });

  it("rotates every certificate at the window while every replica stays CONNECTED and every copy SYNCHRONIZED", async () => {
    expect(await f.rotateWatched(RESOURCES, everything, "a running 3-replica group (its states and 6 handshakes polled)")).toEqual([]);
  });

  it("after the rotation every connection is made again with the new certificates, and data still flows", async () => {
    await f.restartEndpoints();
    await eventually("the group healthy again", async () => JSON.stringify((await groupStates()).sort()) === JSON.stringify(healthy()));
    await tsqlOn(f.byName("sql-a"), "INSERT INTO [sales].dbo.orders (id, item) VALUES (2, N'after the rotation')");
    for (const n of ["sql-b", "sql-c"]) {
      await eventually(`row 2 on ${n}`, async () => (await tsqlOn(f.byName(n), "SELECT COUNT(*) AS n FROM [sales].dbo.orders WHERE id = 2"))[0]!.n === 1);
    }
    const preview = await f.project.stack.preview(recorded(f.project));
    expect(preview.changeSummary).toEqual({ same: RESOURCES });
  });
});

describe.runIf(runEngine)("certificate rotation under a running mirroring session (two partners and a witness)", { timeout: 300_000 }, () => {
  const NAMES = ["sql-a", "sql-b", "sql-w"] as const;
  // + 1 session.
  const RESOURCES = MESH + 1;
  const f = meshFixture(NAMES, (_t, _p, folder) => ({ mirroring: { databases: ["orders"], seeding: { backupPath: folder } } }), "partners");

  /** The session as each partner sees it: "<partner>: ok" when SYNCHRONIZED with the witness CONNECTED. */
  const sessionStates = async (): Promise<string[]> =>
    Promise.all(
      ["sql-a", "sql-b"].map(async (n) => {
        const [row] = await tsqlOn(f.byName(n), "SELECT mirroring_state_desc AS s, mirroring_witness_state_desc AS w FROM sys.database_mirroring WHERE database_id = DB_ID(N'orders')");
        return row?.s === "SYNCHRONIZED" && row?.w === "CONNECTED" ? ok(`partner ${n}`) : `partner ${n}: ${String(row?.s)} witness ${String(row?.w)}`;
      }),
    );
  const roles = { "sql-a": "partner", "sql-b": "partner", "sql-w": "witness" } as const;
  const handshakes = async () =>
    Promise.all(
      NAMES.flatMap((from) =>
        NAMES.filter((to) => to !== from && !(roles[from] === "witness" && roles[to] === "witness")).map(
          async (to) => `${from}->${to}: ${await handshake(f.byName(from), f.byName(to), { from: roles[from], to: roles[to] })}`,
        ),
      ),
    );
  const everything = async () => [...(await sessionStates()), ...(await handshakes())];
  const healthy = [ok("partner sql-a"), ok("partner sql-b")];

  beforeAll(() => f.setup(async (t) => prepareDatabase(t[0]!, "orders")));
  afterAll(() => f.teardown());

  it("creates the session: SYNCHRONIZED, the witness CONNECTED", async () => {
    const up = await f.project.stack.up(recorded(f.project));
    expect(up.summary.resourceChanges).toEqual({ create: RESOURCES });
    await eventually("a synchronized session", async () => JSON.stringify(await sessionStates()) === JSON.stringify(healthy));
  });

  it("rotates every certificate at the window while the session stays SYNCHRONIZED with its witness CONNECTED", async () => {
    expect(await f.rotateWatched(RESOURCES, everything, "a running mirroring session (both partners and the handshakes polled)")).toEqual([]);
  });

  it("after the rotation every connection is made again with the new certificates, and the session resynchronizes", async () => {
    await f.restartEndpoints();
    await eventually("the session synchronized again", async () => JSON.stringify(await sessionStates()) === JSON.stringify(healthy));
    const preview = await f.project.stack.preview(recorded(f.project));
    expect(preview.changeSummary).toEqual({ same: RESOURCES });
  });
});

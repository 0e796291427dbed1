/**
 * An estate through the real Pulumi CLI, on emulated instances: three instances declared once,
 * AG1 {a, b} and AG2 {b, c} — first transport-only (the derivation itself), then running for real. `up` derives one
 * endpoint per instance and the trusts the groups need; every pair a group needs completes a real
 * handshake and the pair no group needs is refused; a second preview and `up` change nothing; a
 * third group over an existing pair adds nothing; rotating b's certificate (a new subject) keeps
 * every needed pair accepted throughout (b's new certificate is on a and c before b's endpoint
 * switches); removing AG2 removes c's objects and the b↔c trusts and leaves a↔b connected; destroy
 * leaves every catalog as it was. And state written by the package before the estate form existed
 * (a partners + witness stack) previews and ups no change under this one, also once the program is
 * rewritten in the estate form.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance } from "../../emulator";
import { conn, secret, setCase, useCasesProject, type Case } from "../hardening/support";
import { reservePorts } from "../support/ports";
import { SA_PASSWORD, startInstances, traffic, tsql } from "./emulators";
import { installPackage, previousPackage } from "./previousPackage";
import { whilePolling } from "./targets";
import { createProject, pulumiAvailable, recorded, ROOT } from "./pulumiProject";

const runEngine = pulumiAvailable();
const MK = "Marker-EstateMK-3c8d!";
const NAMES = ["a", "b", "c"] as const;

describe.runIf(runEngine)("an estate of two groups over a shared instance, through the Pulumi CLI", () => {
  const fx = useCasesProject(3, { config: { mkPassword: { value: MK, secret: true } }, destroy: true });

  const estate = (ports: number[], extra: { subjectB?: string; groups?: object[] } = {}): Case => ({
    declare: [
      {
        type: "MirroringTopology",
        name: "estate",
        args: {
          instances: NAMES.map((name, i) => ({
            name,
            connection: conn(i),
            masterKeyPassword: secret("mkPassword"),
            endpoint: { port: ports[i] },
            ...(name === "b" && extra.subjectB !== undefined ? { certificate: { subject: extra.subjectB } } : {}),
          })),
          availabilityGroups: [
            { name: "ag1", replicas: ["a", "b"], transportOnly: true },
            { name: "ag2", replicas: ["b", "c"], transportOnly: true },
            ...(extra.groups ?? []),
          ],
        },
      },
    ],
  });

  /** Every directed pair's handshake, a real endpoint connection each. */
  const handshakes = async (instances: EmulatorInstance[]) =>
    Promise.all(
      NAMES.flatMap((from, f) =>
        NAMES.map((to, t) => ({ to, t }))
          .filter(({ t }) => t !== f)
          .map(async ({ to, t }) => {
            const r = await checkHandshake(instances[f]!, instances[t]!, { role: "replica" });
            return `${from}->${to}: ${r.ok ? "ok" : r.error.number}`;
          }),
      ),
    );
  const needed = (h: string[]) => h.filter((x) => !/^(a->c|c->a)/.test(x));

  it("up derives the trusts the groups need; those pairs connect, a↔c does not; nothing changes after; a rotation of b refuses nothing", async () => {
    const ports = await reservePorts(3);
    const before = fx.instances.map((i) => i.catalog());
    await setCase(fx.project, estate(ports));
    const up = await fx.project.stack.up(recorded(fx.project));
    expect(up.summary.result).toBe("succeeded");
    // Stack + topology + 3 × (instance + master key + certificate + endpoint) + 4 × (trust + login, user, peer certificate, grant).
    const total = 1 + 1 + 3 * 4 + 4 * 5;
    expect(up.summary.resourceChanges).toEqual({ create: total });

    const first = await handshakes(fx.instances);
    expect(needed(first)).toEqual(["a->b: ok", "b->a: ok", "b->c: ok", "c->b: ok"]);
    // a and c share no group: neither holds the other's certificate, so each refuses the other (28035).
    expect(first.filter((h) => /^(a->c|c->a)/.test(h))).toEqual(["a->c: 28035", "c->a: 28035"]);

    for (const i of fx.instances) i.resetCounters();
    const again = await fx.project.stack.preview(recorded(fx.project));
    expect(again.changeSummary).toEqual({ same: total });
    const second = await fx.project.stack.up(recorded(fx.project));
    expect(second.summary.resourceChanges).toEqual({ same: total });

    // A third group over the pair a↔b needs nothing new.
    await setCase(fx.project, estate(ports, { groups: [{ name: "ag3", replicas: ["b", "a"], transportOnly: true }] }));
    const third = await fx.project.stack.preview(recorded(fx.project));
    expect(third.changeSummary).toEqual({ same: total });

    // Rotation of b, which both groups use: a and c import its new certificate before b's endpoint presents it.
    await setCase(fx.project, estate(ports, { subjectB: "estate b, renewed" }));
    const { value: rotated, refusals, polls } = await whilePolling(async () => needed(await handshakes(fx.instances)), () => fx.project.stack.up(recorded(fx.project)));
    expect(rotated.summary.result).toBe("succeeded");
    expect(refusals).toEqual([]);
    expect(polls).toBeGreaterThan(0);
    // b's certificate and both copies of it (on a and c) were replaced, b's endpoint updated; nothing else.
    expect(rotated.summary.resourceChanges).toEqual({ same: total - 4, replace: 3, update: 1 });
    expect(needed(await handshakes(fx.instances))).toEqual(["a->b: ok", "b->a: ok", "b->c: ok", "c->b: ok"]);

    // Removing AG2 (and c, which nothing uses then): c's objects and the b↔c trusts go; AG1's pair stays as it is.
    const withoutAg2: Case = estate(ports, { subjectB: "estate b, renewed" });
    const args = withoutAg2.declare[0]!.args as { instances: unknown[]; availabilityGroups: unknown[] };
    args.instances = args.instances.slice(0, 2);
    args.availabilityGroups = args.availabilityGroups.slice(0, 1);
    await setCase(fx.project, withoutAg2);
    const removed = await fx.project.stack.up(recorded(fx.project));
    // c's instance component + master key, certificate, endpoint; two trusts (b accepts c, c accepts b) of 5 each.
    expect(removed.summary.resourceChanges).toEqual({ same: total - 4 - 2 * 5, delete: 4 + 2 * 5 });
    expect(needed(await handshakes(fx.instances)).filter((h) => /^(a->b|b->a)/.test(h))).toEqual(["a->b: ok", "b->a: ok"]);
    expect(fx.instances[2]!.catalog()).toEqual(before[2]);

    await fx.project.stack.destroy(recorded(fx.project));
    expect(fx.instances.map((i) => i.catalog())).toEqual(before);
    // Six CLI runs on two shared cores: far above the default timeout under load.
  }, 300_000);
});

describe.runIf(runEngine)("two running groups over a shared instance, through the Pulumi CLI", () => {
  const fx = useCasesProject(3, { config: { mkPassword: { value: MK, secret: true } }, destroy: true });

  /** A database as a DBA has it before a group: FULL recovery, a table with a row, a full backup. */
  const prepare = async (on: EmulatorInstance, db: string) => {
    for (const text of [
      `CREATE DATABASE [${db}]`,
      `ALTER DATABASE [${db}] SET RECOVERY FULL`,
      `CREATE TABLE [${db}].dbo.t (id int NOT NULL PRIMARY KEY)`,
      `INSERT INTO [${db}].dbo.t (id) VALUES (1)`,
      `BACKUP DATABASE [${db}] TO DISK = N'${db}-full.bak'`,
    ])
      await tsql(on, text);
  };
  /** "<group> <replica> <role> <connected>" and "<group> <database> <replica> <state>" as the primary sees them. */
  const groupView = async (primary: EmulatorInstance) => [
    ...(
      await tsql(
        primary,
        `SELECT g.name AS g, ar.replica_server_name AS r, rs.role_desc AS role, rs.connected_state_desc AS c
           FROM sys.availability_groups g JOIN sys.availability_replicas ar ON ar.group_id = g.group_id
           JOIN sys.dm_hadr_availability_replica_states rs ON rs.replica_id = ar.replica_id`,
      )
    ).map((x) => `${String(x.g)} ${String(x.r)} ${String(x.role)} ${String(x.c)}`),
    ...(
      await tsql(
        primary,
        `SELECT adc.database_name AS d, ar.replica_server_name AS r, drs.synchronization_state_desc AS s
           FROM sys.dm_hadr_database_replica_states drs JOIN sys.availability_replicas ar ON ar.replica_id = drs.replica_id
           JOIN sys.availability_databases_cluster adc ON adc.group_database_id = drs.group_database_id`,
      )
    ).map((x) => `${String(x.d)} ${String(x.r)} ${String(x.s)}`),
  ];
  const eventually = async (what: string, probe: () => Promise<boolean>) => {
    const deadline = Date.now() + 30_000;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it("AG1 {a, b} with its primary on a and AG2 {b, c} with its primary on b: both CONNECTED and SYNCHRONIZED, each group's rows reach its own secondary only; rotating b keeps both groups healthy", async () => {
    const [a, b, c] = fx.instances as [EmulatorInstance, EmulatorInstance, EmulatorInstance];
    const ports = await reservePorts(3);
    await prepare(a, "sales");
    await prepare(b, "stock");
    const declaration = (subjectB?: string): Case => ({
      declare: [
        {
          type: "MirroringTopology",
          name: "estate",
          args: {
            instances: NAMES.map((name, i) => ({
              name,
              connection: conn(i),
              masterKeyPassword: secret("mkPassword"),
              endpoint: { port: ports[i] },
              ...(name === "b" && subjectB !== undefined ? { certificate: { subject: subjectB } } : {}),
            })),
            availabilityGroups: [
              { name: "ag1", replicas: ["a", "b"], databases: ["sales"], readableSecondaries: "ALL" },
              { name: "ag2", replicas: ["b", "c"], databases: ["stock"], readableSecondaries: "ALL" },
            ],
          },
        },
      ],
    });
    await setCase(fx.project, declaration());
    const up = await fx.project.stack.up(recorded(fx.project));
    expect(up.summary.result).toBe("succeeded");
    const created = up.summary.resourceChanges!.create!;
    const [na, nb, nc] = [a.name, b.name, c.name];
    const ag1 = [`ag1 ${na} PRIMARY CONNECTED`, `ag1 ${nb} SECONDARY CONNECTED`, `sales ${na} SYNCHRONIZED`, `sales ${nb} SYNCHRONIZED`].sort();
    const ag2 = [`ag2 ${nb} PRIMARY CONNECTED`, `ag2 ${nc} SECONDARY CONNECTED`, `stock ${nb} SYNCHRONIZED`, `stock ${nc} SYNCHRONIZED`].sort();
    await eventually("AG1 healthy on a", async () => JSON.stringify((await groupView(a)).sort()) === JSON.stringify(ag1));
    // b is AG1's secondary and AG2's primary at once, over its one endpoint; a and c never trust each other.
    await eventually("AG2 healthy on b", async () => JSON.stringify((await groupView(b)).filter((v) => /^(ag2|stock) /.test(v)).sort()) === JSON.stringify(ag2));
    await tsql(a, "INSERT INTO [sales].dbo.t (id) VALUES (2)");
    await tsql(b, "INSERT INTO [stock].dbo.t (id) VALUES (2)");
    await eventually("sales row 2 on b", async () => (await tsql(b, "SELECT COUNT(*) AS n FROM [sales].dbo.t WHERE id = 2"))[0]!.n === 1);
    await eventually("stock row 2 on c", async () => (await tsql(c, "SELECT COUNT(*) AS n FROM [stock].dbo.t WHERE id = 2"))[0]!.n === 1);
    expect(await tsql(a, "SELECT name FROM sys.databases WHERE name = N'stock'")).toEqual([]);
    expect(await tsql(c, "SELECT name FROM sys.databases WHERE name = N'sales'")).toEqual([]);

    for (const i of fx.instances) i.resetCounters();
    const again = await fx.project.stack.preview(recorded(fx.project));
    expect(again.changeSummary).toEqual({ same: created });
    expect(traffic(fx.instances).requests).toBe(0);

    // Rotating b's certificate (a new subject), which both groups use: every replica of both groups
    // stays CONNECTED and every copy SYNCHRONIZED throughout, as the two primaries report them.
    await setCase(fx.project, declaration("estate b, renewed"));
    const healthy = async () => {
      const seen = [...(await groupView(a)), ...(await groupView(b)).filter((v) => /^(ag2|stock) /.test(v))];
      return seen.map((v) => (/ (CONNECTED|SYNCHRONIZED)$/.test(v) ? `${v}: ok` : v));
    };
    const { value: rotated, refusals, polls } = await whilePolling(healthy, () => fx.project.stack.up(recorded(fx.project)));
    console.log(`rotation of b under two running groups: ${polls} polls of both primaries, ${refusals.length} not healthy`);
    expect(rotated.summary.resourceChanges).toEqual({ same: created - 4, replace: 3, update: 1 });
    expect(refusals).toEqual([]);
    expect(polls).toBeGreaterThan(10);
    expect(JSON.stringify((await groupView(a)).sort())).toBe(JSON.stringify(ag1));

    await fx.project.stack.destroy(recorded(fx.project));
    // Destroy keeps every database: each primary's ONLINE, each secondary's RESTORING.
    expect(await tsql(a, "SELECT name, state_desc FROM sys.databases WHERE database_id > 4")).toEqual([{ name: "sales", state_desc: "ONLINE" }]);
    expect(await tsql(b, "SELECT name, state_desc FROM sys.databases WHERE database_id > 4 ORDER BY name")).toEqual([
      { name: "sales", state_desc: "RESTORING" },
      { name: "stock", state_desc: "ONLINE" },
    ]);
    expect(await tsql(c, "SELECT name, state_desc FROM sys.databases WHERE database_id > 4")).toEqual([{ name: "stock", state_desc: "RESTORING" }]);
  }, 300_000);
});

/** The last commit before the estate form: what existing shorthand stacks were written with. */
const BEFORE_ESTATE = "daf174b91c90e032c3fa791ed2712b369a2e0b1c";

describe.runIf(runEngine)("state written before the estate form", () => {
  it("a partners + witness stack previews and ups no change under this version, and none once rewritten as an estate", async () => {
    const instances = await startInstances(3);
    const ports = await reservePorts(3);
    const before = instances.map((i) => i.catalog());
    const project = await createProject({
      source: path.join(ROOT, "examples", "partners-witness"),
      config: {
        instances: { value: JSON.stringify(instances.map((i, n) => ({ name: ["sql-a", "sql-b", "sql-w"][n], server: "127.0.0.1", port: i.port, endpointPort: ports[n] }))) },
        sqlPassword: { value: SA_PASSWORD, secret: true },
        masterKeyPassword: { value: "Marker-EstateUpgradeMK-6d1b!", secret: true },
        tlsCa: { value: instances[0]!.tlsCertificate },
      },
    });
    try {
      // Stack + topology + 3 × (instance + master key, certificate, endpoint) + 6 × (trust + 4).
      const total = 2 + 3 * 4 + 6 * 5;
      installPackage(project, previousPackage(BEFORE_ESTATE));
      const created = await project.stack.up(recorded(project));
      expect(created.summary.resourceChanges).toEqual({ create: total });

      installPackage(project, ROOT);
      const t0 = traffic(instances);
      const preview = await project.stack.preview({ ...recorded(project), diff: true });
      expect(preview.changeSummary).toEqual({ same: total });
      expect(traffic(instances)).toEqual(t0);
      const up = await project.stack.up(recorded(project));
      expect(up.summary.resourceChanges).toEqual({ same: total });

      // The same stack written as an estate: the instances once, one session entry managed elsewhere.
      const program = path.join(project.dir, "index.ts");
      const shorthand = readFileSync(program, "utf8");
      const estate = shorthand.replace(
        /partners: \[spec\(a!\), spec\(b!\)\],\s*witness: spec\(w!\),/,
        "instances: [spec(a!), spec(b!), spec(w!)],\n  mirroringSessions: [{ partners: [a!.name, b!.name], witness: w!.name, transportOnly: true }],",
      );
      expect(estate).not.toBe(shorthand);
      writeFileSync(program, estate);
      const t1 = traffic(instances);
      const rewritten = await project.stack.preview(recorded(project));
      expect(rewritten.changeSummary).toEqual({ same: total });
      expect(traffic(instances)).toEqual(t1);

      await project.stack.destroy(recorded(project));
      expect(instances.map((i) => i.catalog())).toEqual(before);
    } finally {
      await project.stack.destroy({ color: "never" }).catch(() => undefined);
      project.remove();
      await Promise.all(instances.map((i) => i.stop()));
    }
  }, 600_000);
});

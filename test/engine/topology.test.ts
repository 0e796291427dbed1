/**
 * The whole life of a topology through the real Pulumi CLI: preview → up → no-op → drift →
 * refresh → repair → in-place change → certificate rotation → destroy, for database mirroring
 * (two partners + witness) and an availability group (three replicas), against emulated instances
 * and, when MSSQL_REAL_SERVERS names them, unchanged against real SQL Server instances (AG only:
 * database mirroring is Windows-only, and real servers are usually Linux containers).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProject, pulumiAvailable, recorded, ROOT, type TestProject } from "./pulumiProject";
import { acquire, handshake, requestCount, snapshot, targetKinds, tsqlOn, whilePolling, type Target, type TargetSet } from "./targets";
import { reservePorts } from "../support/ports";

const MASTER_KEY_PASSWORD = "Marker-MK-51c0ffee!";
const PREEXISTING_MK_PASSWORD = "Marker-OldMK-77e1!";
const NAMES = ["sql-a", "sql-b", "sql-c"] as const;
// Stack, topology component, 3 × (instance component + master key + certificate + endpoint),
// 6 × (trust component + login + user + peer certificate + grant).
const RESOURCES = 1 + 1 + 3 * 4 + 6 * 5;

type Mode = "mirroring" | "availabilityGroup";

interface Topology {
  mode: Mode;
  on: "emulator" | "real";
  roleOf(name: string): "partner" | "witness" | "replica";
}

const runEngine = pulumiAvailable();
const topologies: Topology[] = (runEngine ? targetKinds(3) : ["emulator" as const]).flatMap((on) => [
  ...(on === "emulator" ? [{ mode: "mirroring" as Mode, on, roleOf: (n: string) => (n === "sql-c" ? ("witness" as const) : ("partner" as const)) }] : []),
  { mode: "availabilityGroup" as Mode, on, roleOf: () => "replica" as const },
]);

describe.runIf(runEngine).each(topologies)("$mode topology on $on instances through the Pulumi CLI", ({ mode, on, roleOf }) => {
  let set: TargetSet;
  let instances: Target[];
  let project: TestProject;
  let before: unknown[];
  /**
   * Endpoint ports: sql-a, sql-b, sql-c, sql-a's moved port, sql-b's out-of-band port. Reserved on
   * emulators (their endpoints listen on 127.0.0.1 beside other test files'); the usual ones on real servers.
   */
  let ports = [5022, 5023, 5024, 5122, 6001];
  const byName = (n: string) => instances[NAMES.indexOf(n as (typeof NAMES)[number])]!;

  const topologyConfig = (overrides: { endpointPortA?: number; algorithm?: string; validityDays?: number } = {}) => {
    const spec = (n: string, i: number) => ({
      name: n,
      server: instances[i]!.sql.server,
      port: instances[i]!.sql.port,
      endpointPort: i === 0 && overrides.endpointPortA ? overrides.endpointPortA : ports[i]!,
    });
    const common = { encryption: "REQUIRED", algorithm: overrides.algorithm ?? "AES", certificateValidityDays: overrides.validityDays ?? 365 };
    return mode === "mirroring"
      ? { partners: [spec("sql-a", 0), spec("sql-b", 1)], witness: spec("sql-c", 2), ...common }
      : { replicas: NAMES.map(spec), ...common };
  };
  const setTopology = (overrides?: Parameters<typeof topologyConfig>[0]) =>
    project.stack.setConfig("topology", { value: JSON.stringify(topologyConfig(overrides)) });

  /** Every directed pair, with the roles mirroring uses. */
  const handshakes = async () =>
    Promise.all(
      NAMES.flatMap((from) =>
        NAMES.filter((to) => to !== from).map(async (to) => `${from}->${to}: ${await handshake(byName(from), byName(to), { from: roleOf(from), to: roleOf(to) })}`),
      ),
    );
  const allAccepted = NAMES.flatMap((f) => NAMES.filter((t) => t !== f).map((t) => `${f}->${t}: ok`));

  beforeAll(async () => {
    set = await acquire(on, 3);
    if (on === "emulator") ports = await reservePorts(5);
    instances = set.targets;
    // sql-c already has a master key that protects something else: it must survive destroy.
    const [existing] = await tsqlOn(instances[2]!, "SELECT COUNT(*) AS n FROM sys.symmetric_keys WHERE name = N'##MS_DatabaseMasterKey##'");
    if (existing!.n === 0) await tsqlOn(instances[2]!, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${PREEXISTING_MK_PASSWORD}'`);
    before = await Promise.all(instances.map(snapshot));
    const tls = instances[0]!.sql;
    project = await createProject({
      source: ROOT,
      include: ["Pulumi.yaml", "program"],
      files: tls.ca ? { "ca.pem": tls.ca } : {},
      config: {
        topology: { value: JSON.stringify(topologyConfig()) },
        sqlLogin: { value: tls.user },
        sqlPassword: { value: tls.password, secret: true },
        masterKeyPassword: { value: MASTER_KEY_PASSWORD, secret: true },
        ...(tls.ca ? { tlsCaFile: { value: "ca.pem" } } : {}),
        ...(tls.trustServerCertificate ? { trustServerCertificate: { value: "true" } } : {}),
      },
    });
  });

  afterAll(async () => {
    await project?.stack.destroy({ color: "never" }).catch(() => undefined);
    project?.remove();
    await set?.stop();
  });

  it("previews every resource to create without touching any server", async () => {
    const t0 = requestCount(set);
    const preview = await project.stack.preview(recorded(project));
    expect(preview.changeSummary).toEqual({ create: RESOURCES });
    expect(requestCount(set)).toEqual(t0);
  });

  it("creates the topology, and every instance accepts every peer", async () => {
    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges).toEqual({ create: RESOURCES });
    expect(up.outputs.endpointUrls!.value).toEqual(Object.fromEntries(NAMES.map((n, i) => [n, `TCP://${instances[i]!.sql.server}:${ports[i]}`])));
    expect(await handshakes()).toEqual(allAccepted);
  });

  it("previews no change, without a request to any server, and a second up changes nothing", async () => {
    const t0 = requestCount(set);
    const preview = await project.stack.preview(recorded(project));
    expect(preview.changeSummary).toEqual({ same: RESOURCES });
    expect(requestCount(set)).toEqual(t0);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES });
    expect(requestCount(set)?.logins).toBe(t0?.logins);
  });

  it("reports out-of-band drift on refresh and repairs it on up", async () => {
    const [a, b, c] = instances as [Target, Target, Target];
    const [peerCert] = await tsqlOn(a, "SELECT name FROM sys.certificates WHERE name LIKE N'mirroring[_]sql-b[_]peer[_]%'");
    await tsqlOn(a, `DROP CERTIFICATE [${String(peerCert!.name)}]`);
    await tsqlOn(b, `ALTER ENDPOINT [hadr_endpoint] AS TCP (LISTENER_PORT = ${ports[4]})`);
    await tsqlOn(c, "REVOKE CONNECT ON ENDPOINT::[hadr_endpoint] FROM [mirroring_sql-a_login]");
    const refused = (await handshakes()).filter((h) => !h.endsWith(": ok"));
    expect(refused).toHaveLength(2);
    expect(refused[0]).toMatch(on === "emulator" ? /^sql-a->sql-c: 28034 .*'mirroring_sql-a_login' does not have CONNECT permission on the endpoint/ : /^sql-a->sql-c: no login/);
    expect(refused[1]).toMatch(/^sql-b->sql-a: /);

    const refresh = await project.stack.refresh(recorded(project));
    expect(refresh.summary.resourceChanges).toEqual({ same: RESOURCES - 3, update: 1, delete: 2 });

    const preview = await project.stack.preview({ ...recorded(project), diff: true });
    expect(preview.changeSummary).toEqual({ same: RESOURCES - 3, create: 2, update: 1 });
    expect(preview.stdout).toMatch(new RegExp(`port\\s*:\\s*${ports[4]}\\s*=>\\s*${ports[1]}`));

    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES - 3, create: 2, update: 1 });
    expect(await handshakes()).toEqual(allAccepted);
    const [endpoint] = await tsqlOn(b, "SELECT port FROM sys.tcp_endpoints WHERE name = N'hadr_endpoint'");
    expect(endpoint!.port).toBe(ports[1]);
  });

  it("changes port and algorithm in place: preview shows updates naming the properties, not replacements", async () => {
    await setTopology({ endpointPortA: ports[3], algorithm: "AES RC4" });
    const preview = await project.stack.preview({ ...recorded(project), diff: true });
    expect(preview.changeSummary).toEqual({ same: RESOURCES - 3, update: 3 });
    expect(preview.stdout).toMatch(new RegExp(`port\\s*:\\s*${ports[0]}\\s*=>\\s*${ports[3]}`));
    expect(preview.stdout).toMatch(/algorithm\s*:\s*"AES"\s*=>\s*"AES RC4"/);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES - 3, update: 3 });
    const [row] = await tsqlOn(instances[0]!, "SELECT t.port, m.encryption_algorithm_desc FROM sys.database_mirroring_endpoints AS m JOIN sys.tcp_endpoints AS t ON t.endpoint_id = m.endpoint_id");
    expect(row).toEqual({ port: ports[3], encryption_algorithm_desc: "AES, RC4" });
    expect(await handshakes()).toEqual(allAccepted);
  });

  it("rotates every certificate without a moment where a peer is refused", async () => {
    const thumbprints = async () => Promise.all(instances.map(async (i) => (await tsqlOn(i, "SELECT c.thumbprint FROM sys.database_mirroring_endpoints AS m JOIN sys.certificates AS c ON c.certificate_id = m.certificate_id"))[0]!.thumbprint));
    const old = await thumbprints();
    await setTopology({ endpointPortA: ports[3], algorithm: "AES RC4", validityDays: 400 });
    const preview = await project.stack.preview(recorded(project));
    // 3 certificates and 6 peer certificates replaced, 3 endpoints switched.
    expect(preview.changeSummary).toEqual({ same: RESOURCES - 12, replace: 9, update: 3 });

    // Check every pair continuously while the engine works: no step may refuse a peer.
    const { value: up, refusals, polls } = await whilePolling(handshakes, () => project.stack.up(recorded(project)));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES - 12, replace: 9, update: 3 });
    expect(refusals).toEqual([]);
    expect(polls).toBeGreaterThan(on === "emulator" ? 10 : 1);
    const now = await thumbprints();
    now.forEach((t, i) => expect(t).not.toEqual(old[i]));
    // The old certificates are gone: one local and two peer certificates per instance remain.
    for (const i of instances) {
      const rows = await tsqlOn(i, "SELECT name FROM sys.certificates WHERE name LIKE N'mirroring[_]%'");
      expect(rows).toHaveLength(3);
    }
    expect(await handshakes()).toEqual(allAccepted);
  });

  it("destroys everything, leaving every catalog exactly as before (the pre-existing master key included)", async () => {
    const destroy = await project.stack.destroy(recorded(project));
    expect(destroy.summary.resourceChanges).toEqual({ delete: RESOURCES });
    expect(await Promise.all(instances.map(snapshot))).toEqual(before);
  });

  it("never showed a password in state or in any CLI output", async () => {
    const state = JSON.stringify(await project.stack.exportStack());
    const everything = state + project.output.join("");
    for (const marker of [instances[0]!.sql.password, MASTER_KEY_PASSWORD, PREEXISTING_MK_PASSWORD]) expect(everything).not.toContain(marker);
  });
});

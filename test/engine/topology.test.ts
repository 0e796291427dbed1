/**
 * The whole life of a topology through the real Pulumi CLI: preview → up → no-op → drift →
 * refresh → repair → in-place change → certificate rotation → destroy, for database mirroring
 * (two partners + witness) and an availability group (three replicas), against emulated instances.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance } from "../../emulator";
import { createProject, pulumiAvailable, recorded, ROOT, type TestProject } from "./pulumiProject";
import { SA_PASSWORD, startInstances, traffic, tsql } from "./emulators";

const MASTER_KEY_PASSWORD = "Marker-MK-51c0ffee!";
const PREEXISTING_MK_PASSWORD = "Marker-OldMK-77e1!";
const NAMES = ["sql-a", "sql-b", "sql-c"] as const;
// Stack, topology component, 3 × (instance component + master key + certificate + endpoint),
// 6 × (trust component + login + user + peer certificate + grant).
const RESOURCES = 1 + 1 + 3 * 4 + 6 * 5;

type Mode = "mirroring" | "availabilityGroup";

interface Topology {
  mode: Mode;
  roleOf(name: string): "partner" | "witness" | "replica";
}

const topologies: Topology[] = [
  { mode: "mirroring", roleOf: (n) => (n === "sql-c" ? "witness" : "partner") },
  { mode: "availabilityGroup", roleOf: () => "replica" },
];

const runEngine = pulumiAvailable();

describe.runIf(runEngine).each(topologies)("$mode topology through the Pulumi CLI", ({ mode, roleOf }) => {
  let instances: EmulatorInstance[];
  let project: TestProject;
  let before: unknown[];
  const byName = (n: string) => instances[NAMES.indexOf(n as (typeof NAMES)[number])]!;

  const topologyConfig = (overrides: { endpointPortA?: number; algorithm?: string; validityDays?: number } = {}) => {
    const spec = (n: string, i: number) => ({
      name: n,
      server: "127.0.0.1",
      port: instances[i]!.port,
      endpointPort: i === 0 && overrides.endpointPortA ? overrides.endpointPortA : 5022 + i,
    });
    const common = { encryption: "REQUIRED", algorithm: overrides.algorithm ?? "AES", certificateValidityDays: overrides.validityDays ?? 365 };
    return mode === "mirroring"
      ? { partners: [spec("sql-a", 0), spec("sql-b", 1)], witness: spec("sql-c", 2), ...common }
      : { replicas: NAMES.map(spec), ...common };
  };
  const setTopology = (overrides?: Parameters<typeof topologyConfig>[0]) =>
    project.stack.setConfig("topology", { value: JSON.stringify(topologyConfig(overrides)) });

  /** Every directed pair, with the roles mirroring uses; the first failure is reported. */
  const handshakes = () =>
    NAMES.flatMap((from) =>
      NAMES.filter((to) => to !== from).map((to) => {
        const role = roleOf(from);
        const peerRole = roleOf(to) === "witness" ? "witness" : "partner";
        const r = checkHandshake(byName(from), byName(to), role === "replica" ? { role } : { role, peerRole });
        return `${from}->${to}: ${r.ok ? "ok" : `${r.error.number} ${r.error.message}`}`;
      }),
    );
  const allAccepted = NAMES.flatMap((f) => NAMES.filter((t) => t !== f).map((t) => `${f}->${t}: ok`));

  beforeAll(async () => {
    instances = await startInstances(3);
    // sql-c already has a master key that protects something else: it must survive destroy.
    await tsql(instances[2]!, `CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'${PREEXISTING_MK_PASSWORD}'`);
    before = instances.map((i) => i.catalog());
    project = await createProject({
      source: ROOT,
      include: ["Pulumi.yaml", "program"],
      files: { "ca.pem": instances[0]!.tlsCertificate },
      config: {
        topology: { value: JSON.stringify(topologyConfig()) },
        sqlPassword: { value: SA_PASSWORD, secret: true },
        masterKeyPassword: { value: MASTER_KEY_PASSWORD, secret: true },
        tlsCaFile: { value: "ca.pem" },
      },
    });
  });

  afterAll(async () => {
    await project?.stack.destroy({ color: "never" }).catch(() => undefined);
    project?.remove();
    await Promise.all((instances ?? []).map((i) => i.stop()));
  });

  it("previews every resource to create without touching any server", async () => {
    const t0 = traffic(instances);
    const preview = await project.stack.preview(recorded(project));
    expect(preview.changeSummary).toEqual({ create: RESOURCES });
    expect(traffic(instances)).toEqual(t0);
  });

  it("creates the topology, and every instance accepts every peer", async () => {
    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges).toEqual({ create: RESOURCES });
    expect(up.outputs.endpointUrls!.value).toEqual({
      "sql-a": "TCP://127.0.0.1:5022",
      "sql-b": "TCP://127.0.0.1:5023",
      "sql-c": "TCP://127.0.0.1:5024",
    });
    expect(handshakes()).toEqual(allAccepted);
  });

  it("previews no change, without a request to any server, and a second up changes nothing", async () => {
    const t0 = traffic(instances);
    const preview = await project.stack.preview(recorded(project));
    expect(preview.changeSummary).toEqual({ same: RESOURCES });
    expect(traffic(instances)).toEqual(t0);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES });
    expect(traffic(instances).logins).toBe(t0.logins);
  });

  it("reports out-of-band drift on refresh and repairs it on up", async () => {
    const [a, b, c] = instances as [EmulatorInstance, EmulatorInstance, EmulatorInstance];
    const [peerCert] = await tsql(a, "SELECT name FROM sys.certificates WHERE name LIKE N'mirroring[_]sql-b[_]peer[_]%'");
    await tsql(a, `DROP CERTIFICATE [${String(peerCert!.name)}]`);
    await tsql(b, "ALTER ENDPOINT [hadr_endpoint] AS TCP (LISTENER_PORT = 6001)");
    await tsql(c, "REVOKE CONNECT ON ENDPOINT::[hadr_endpoint] FROM [mirroring_sql-a_login]");
    expect(handshakes().filter((h) => !h.endsWith(": ok"))).toEqual([
      "sql-a->sql-c: 28034 Connection handshake failed. The login 'mirroring_sql-a_login' does not have CONNECT permission on the endpoint. State 84.",
      expect.stringMatching(/^sql-b->sql-a: /),
    ]);

    const refresh = await project.stack.refresh(recorded(project));
    expect(refresh.summary.resourceChanges).toEqual({ same: RESOURCES - 3, update: 1, delete: 2 });

    const preview = await project.stack.preview({ ...recorded(project), diff: true });
    expect(preview.changeSummary).toEqual({ same: RESOURCES - 3, create: 2, update: 1 });
    expect(preview.stdout).toMatch(/port\s*:\s*6001\s*=>\s*5023/);

    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES - 3, create: 2, update: 1 });
    expect(handshakes()).toEqual(allAccepted);
    const [endpoint] = await tsql(b, "SELECT port FROM sys.tcp_endpoints WHERE name = N'hadr_endpoint'");
    expect(endpoint!.port).toBe(5023);
  });

  it("changes port and algorithm in place: preview shows updates naming the properties, not replacements", async () => {
    await setTopology({ endpointPortA: 5122, algorithm: "AES RC4" });
    const preview = await project.stack.preview({ ...recorded(project), diff: true });
    expect(preview.changeSummary).toEqual({ same: RESOURCES - 3, update: 3 });
    expect(preview.stdout).toMatch(/port\s*:\s*5022\s*=>\s*5122/);
    expect(preview.stdout).toMatch(/algorithm\s*:\s*"AES"\s*=>\s*"AES RC4"/);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES - 3, update: 3 });
    const [row] = await tsql(instances[0]!, "SELECT t.port, m.encryption_algorithm_desc FROM sys.database_mirroring_endpoints AS m JOIN sys.tcp_endpoints AS t ON t.endpoint_id = m.endpoint_id");
    expect(row).toEqual({ port: 5122, encryption_algorithm_desc: "AES, RC4" });
    expect(handshakes()).toEqual(allAccepted);
  });

  it("rotates every certificate without a moment where a peer is refused", async () => {
    const thumbprints = async () => Promise.all(instances.map(async (i) => (await tsql(i, "SELECT c.thumbprint FROM sys.database_mirroring_endpoints AS m JOIN sys.certificates AS c ON c.certificate_id = m.certificate_id"))[0]!.thumbprint));
    const old = await thumbprints();
    await setTopology({ endpointPortA: 5122, algorithm: "AES RC4", validityDays: 400 });
    const preview = await project.stack.preview(recorded(project));
    // 3 certificates and 6 peer certificates replaced, 3 endpoints switched.
    expect(preview.changeSummary).toEqual({ same: RESOURCES - 12, replace: 9, update: 3 });

    // Check every pair continuously while the engine works: no step may refuse a peer.
    const refusals = new Set<string>();
    let polls = 0;
    let done = false;
    const watcher = (async () => {
      for (let n = 0; n < 100_000 && !done; n++) {
        for (const h of handshakes()) if (!h.endsWith(": ok")) refusals.add(h);
        polls++;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const up = await project.stack.up(recorded(project)).finally(() => (done = true));
    await watcher;
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES - 12, replace: 9, update: 3 });
    expect([...refusals]).toEqual([]);
    expect(polls).toBeGreaterThan(10);
    const now = await thumbprints();
    now.forEach((t, i) => expect(t).not.toEqual(old[i]));
    // The old certificates are gone: one local and two peer certificates per instance remain.
    for (const i of instances) {
      const rows = await tsql(i, "SELECT name FROM sys.certificates WHERE name LIKE N'mirroring[_]%' OR name LIKE N'##%' ");
      expect(rows.filter((r) => String(r.name).startsWith("mirroring_"))).toHaveLength(3);
    }
    expect(handshakes()).toEqual(allAccepted);
  });

  it("destroys everything, leaving every catalog exactly as before (the pre-existing master key included)", async () => {
    const destroy = await project.stack.destroy(recorded(project));
    expect(destroy.summary.resourceChanges).toEqual({ delete: RESOURCES });
    expect(instances.map((i) => i.catalog())).toEqual(before);
  });

  it("never showed a password in state or in any CLI output", async () => {
    const state = JSON.stringify(await project.stack.exportStack());
    const everything = state + project.output.join("");
    for (const marker of [SA_PASSWORD, MASTER_KEY_PASSWORD, PREEXISTING_MK_PASSWORD]) expect(everything).not.toContain(marker);
  });
});

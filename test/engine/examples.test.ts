/**
 * Every program in examples/ runs through the real Pulumi CLI against emulated instances:
 * up → every instance accepts its peers → (the example's own step) → destroy → catalogs as before.
 */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance } from "../../emulator";
import { createProject, pulumiAvailable, recorded, ROOT, type TestProject } from "./pulumiProject";
import { SA_PASSWORD, startInstances, tsql } from "./emulators";
import { reservePorts } from "../support/ports";

const MASTER_KEY_PASSWORD = "Marker-ExampleMK-2b9e!";
const runEngine = pulumiAvailable();

interface Run {
  instances: EmulatorInstance[];
  /** Each instance's endpoint port (reserved: endpoints really listen, and test files run in parallel). */
  ports: number[];
  project: TestProject;
  before: unknown[];
}

let current: Run | undefined;

afterEach(async () => {
  if (!current) return;
  await current.project.stack.destroy({ color: "never" }).catch(() => undefined);
  current.project.remove();
  await Promise.all(current.instances.map((i) => i.stop()));
  current = undefined;
});

/** Starts instances, optionally prepares them, and creates the example's project. */
async function setUp(example: string, count: number, extra: Record<string, string> = {}, prepare?: (i: EmulatorInstance[]) => Promise<void>): Promise<Run> {
  const instances = await startInstances(count);
  const ports = await reservePorts(count);
  await prepare?.(instances);
  const before = instances.map((i) => i.catalog());
  const names = ["sql-a", "sql-b", "sql-c"];
  const project = await createProject({
    source: path.join(ROOT, "examples", example),
    config: {
      instances: {
        value: JSON.stringify(
          instances.map((i, n) => ({ name: names[n], server: "127.0.0.1", port: i.port, endpointPort: ports[n], ...(extra[`existingEndpoint${n}`] ? { existingEndpoint: extra[`existingEndpoint${n}`] } : {}) })),
        ),
      },
      sqlPassword: { value: SA_PASSWORD, secret: true },
      masterKeyPassword: { value: MASTER_KEY_PASSWORD, secret: true },
      tlsCa: { value: instances[0]!.tlsCertificate },
      ...Object.fromEntries(Object.entries(extra).filter(([k]) => !k.startsWith("existingEndpoint")).map(([k, v]) => [k, { value: v }])),
    },
  });
  current = { instances, ports, project, before };
  return current;
}

/** Handshake result of every directed pair (a real connection each), given each instance's role. */
async function handshakes(instances: EmulatorInstance[], roles: Array<"partner" | "witness" | "replica">): Promise<string[]> {
  const pairs = instances.flatMap((from, f) => instances.map((to, t) => ({ from, f, to, t })).filter(({ t }) => t !== f));
  return Promise.all(
    pairs.map(async ({ from, f, to, t }) => {
      const role = roles[f]!;
      const r = await checkHandshake(from, to, role === "replica" ? { role } : { role, peerRole: roles[t] === "witness" ? "witness" : "partner" });
      return `${f}->${t}: ${r.ok ? "ok" : r.error.number}`;
    }),
  );
}
const allOk = (n: number) => Array.from({ length: n }, (_, f) => Array.from({ length: n }, (_, t) => (f === t ? undefined : `${f}->${t}: ok`))).flat().filter(Boolean);

describe.runIf(runEngine)("examples through the Pulumi CLI", () => {
  it("covers every example folder", () => {
    expect(readdirSync(path.join(ROOT, "examples")).sort()).toEqual(["adopt-existing", "ag-replicas", "availability-group", "certificate-rotation", "partners-witness", "shared-instances", "two-partners"]);
  });

  it("availability-group: preview plans the endpoints, trusts, server names, group, joins and database, sending nothing", async () => {
    const { instances, project } = await setUp("availability-group", 3);
    const preview = await project.stack.preview(recorded(project));
    // Stack + topology + 3 × (instance + master key + certificate + endpoint) + 6 × (trust + 4)
    // + 3 ServerName + the group + 2 joins + 1 database.
    expect(preview.changeSummary).toEqual({ create: 2 + 3 * 4 + 6 * 5 + 3 + 1 + 2 + 1 });
    expect(instances.reduce((n, i) => n + i.counters.requests + i.counters.logins, 0)).toBe(0);
  });

  it("shared-instances: preview plans one endpoint per instance, the four trusts two groups need and both groups, sending nothing", async () => {
    const { instances, project } = await setUp("shared-instances", 3);
    const preview = await project.stack.preview(recorded(project));
    // Stack + topology + 3 × (instance + master key + certificate + endpoint) + 4 × (trust + 4): a↔b and b↔c only
    // + 3 ServerName + 2 groups + 1 join each + 1 database each.
    expect(preview.changeSummary).toEqual({ create: 2 + 3 * 4 + 4 * 5 + 3 + 2 + 2 + 2 });
    expect(preview.stdout).toContain("estate-sql-a-trusts-sql-b");
    expect(preview.stdout).not.toContain("estate-sql-a-trusts-sql-c");
    expect(instances.reduce((n, i) => n + i.counters.requests + i.counters.logins, 0)).toBe(0);
  });

  it.each<[string, number, Array<"partner" | "witness" | "replica">]>([
    ["two-partners", 2, ["partner", "partner"]],
    ["partners-witness", 3, ["partner", "partner", "witness"]],
    ["ag-replicas", 3, ["replica", "replica", "replica"]],
  ])("%s: up, every pair accepted, destroy back to the original catalogs", async (example, count, roles) => {
    const { instances, project, before } = await setUp(example, count);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    expect(Object.keys(up.outputs.endpointUrls!.value as object)).toHaveLength(count);
    expect(await handshakes(instances, roles)).toEqual(allOk(count));
    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);
  });

  it("certificate-rotation: a new expiry rotates both certificates, peers accepted throughout", async () => {
    const { instances, project, before } = await setUp("certificate-rotation", 2, { certificateExpiry: "2030-06-30T00:00:00Z" });
    const first = await project.stack.up(recorded(project));
    const names = first.outputs.certificates!.value as Record<string, { name: string; expiryDate: string }>;
    expect(Object.values(names).map((c) => c.expiryDate)).toEqual(["2030-06-30T00:00:00Z", "2030-06-30T00:00:00Z"]);

    await project.stack.setConfig("certificateExpiry", { value: "2031-06-30T00:00:00Z" });
    const refused = new Set<string>();
    let done = false;
    const watch = (async () => {
      for (let n = 0; n < 100_000 && !done; n++) {
        for (const h of await handshakes(instances, ["partner", "partner"])) if (!h.endsWith("ok")) refused.add(h);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const second = await project.stack.up(recorded(project)).finally(() => (done = true));
    await watch;
    expect([...refused]).toEqual([]);
    const rotated = second.outputs.certificates!.value as Record<string, { name: string; expiryDate: string }>;
    for (const key of Object.keys(names)) {
      expect(rotated[key]!.expiryDate).toBe("2031-06-30T00:00:00Z");
      expect(rotated[key]!.name).not.toBe(names[key]!.name);
    }
    await project.stack.destroy(recorded(project));
    expect(instances.map((i) => i.catalog())).toEqual(before);
  });

  it("adopt-existing: a hand-made master key and endpoint are managed, then given back untouched", async () => {
    const { instances, ports, project, before } = await setUp("adopt-existing", 2, { existingEndpoint0: "Mirroring" }, async ([a]) => {
      await tsql(
        a!,
        "CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'Marker-HandMK-1!aA';" +
          "CREATE CERTIFICATE [tde_like] WITH SUBJECT = N'protected by the same master key';" +
          "CREATE ENDPOINT [Mirroring] STATE = STOPPED AS TCP (LISTENER_PORT = 7022) FOR DATABASE_MIRRORING (AUTHENTICATION = CERTIFICATE [tde_like], ENCRYPTION = SUPPORTED ALGORITHM RC4, ROLE = PARTNER)",
      );
    });
    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    const [endpoint] = await tsql(instances[0]!, "SELECT m.name, m.state_desc, t.port, m.encryption_algorithm_desc FROM sys.database_mirroring_endpoints AS m JOIN sys.tcp_endpoints AS t ON t.endpoint_id = m.endpoint_id");
    expect(endpoint).toEqual({ name: "Mirroring", state_desc: "STARTED", port: ports[0], encryption_algorithm_desc: "AES" });
    expect(await handshakes(instances, ["partner", "partner"])).toEqual(allOk(2));
    await project.stack.destroy(recorded(project));
    // The master key and the other certificate stay; the endpoint is back as it was.
    expect(instances.map((i) => i.catalog())).toEqual(before);
  });
});

/**
 * Concurrency through the real CLI: an availability-group mesh of eight replicas (314 resources:
 * 8 × (instance, master key, certificate, endpoint) and 56 trusts of 5) created with `--parallel
 * 32` converges — every directed pair's handshake accepted, state equal to the catalogs — and is
 * destroyed back to the original catalogs; and two stacks managing different instances, run at the
 * same time, do not interfere.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance } from "../../emulator";
import { startInstances } from "../engine/emulators";
import { reservePorts } from "../support/ports";
import { pulumiAvailable, recorded, type TestProject } from "../engine/pulumiProject";
import { objectsInCatalogs } from "../engine/stateVsCatalog";
import { casesProject, conn, secret, since, stateObjects, stopInstances, type Case } from "./support";

const runEngine = pulumiAvailable();
const REPLICAS = 8;
const RESOURCES = 2 + REPLICAS * 4 + REPLICAS * (REPLICAS - 1) * 5;

/** One reserved endpoint port per instance: the endpoints really listen, beside other test files'. */
let ports: number[] = [];

function mesh(count: number, offset = 0, name = "mesh"): Case {
  return {
    declare: [
      {
        type: "MirroringTopology",
        name,
        args: { replicas: Array.from({ length: count }, (_, i) => ({ name: `r${i}`, connection: conn(offset + i), masterKeyPassword: secret("mkPassword"), endpoint: { port: ports[offset + i]! } })) },
      },
    ],
  };
}

/** Every directed pair that refuses, each tried over a real connection. */
async function refusedPairs(instances: EmulatorInstance[]): Promise<string[]> {
  const results = await Promise.all(
    instances.flatMap((from, f) =>
      instances.map(async (to, t) => {
        if (f === t) return [];
        const r = await checkHandshake(from, to, { role: "replica" });
        return r.ok ? [] : [`r${f}->r${t}: ${r.error.number}`];
      }),
    ),
  );
  return results.flat();
}

describe.runIf(runEngine)("concurrency", () => {
  let instances: EmulatorInstance[];
  let before: unknown[];
  beforeAll(async () => {
    instances = await startInstances(REPLICAS);
    ports = await reservePorts(REPLICAS);
    before = instances.map((i) => i.catalog());
  });
  afterAll(async () => {
    await stopInstances(instances);
  });

  describe("an eight-replica mesh with --parallel 32", () => {
    let project: TestProject;
    beforeAll(async () => {
      project = await casesProject(instances, mesh(REPLICAS), { mkPassword: { value: "Marker-MeshMK-7c4d!", secret: true } });
    });
    afterAll(async () => {
      await project?.stack.destroy({ color: "never", parallel: 32 }).catch(() => undefined);
      project?.remove();
    });

    it(`creates all ${RESOURCES} resources, every pair's handshake is accepted, state equals the catalogs, and destroy restores them`, async () => {
      const t0 = performance.now();
      const up = await project.stack.up({ ...recorded(project), parallel: 32 });
      const upMs = since(t0);
      expect(up.summary.resourceChanges).toEqual({ create: RESOURCES });
      expect(await refusedPairs(instances)).toEqual([]);
      const state = stateObjects(await project.stack.exportStack());
      expect(state.pending).toEqual([]);
      expect(objectsInCatalogs(instances)).toEqual(state.certain);
      expect(state.certain).toHaveLength(REPLICAS * 3 + REPLICAS * (REPLICAS - 1) * 4);
      const t1 = performance.now();
      await project.stack.destroy({ ...recorded(project), parallel: 32 });
      expect(instances.map((i) => i.catalog())).toEqual(before);
      console.log(`8-replica mesh: up ${upMs} ms, destroy ${since(t1)} ms`);
    }, 600_000);
  });

  it("two stacks managing different instances run their ups and destroys at the same time without interfering", async () => {
    const t0 = performance.now();
    const config = { mkPassword: { value: "Marker-TwinMK-1e9f!", secret: true } };
    // Stack one manages instances 0–1, stack two instances 2–3.
    const [one, two] = await Promise.all([casesProject(instances, mesh(2, 0, "one"), config), casesProject(instances, mesh(2, 2, "two"), config)]);
    try {
      const ups = await Promise.all([one.stack.up(recorded(one)), two.stack.up(recorded(two))]);
      for (const up of ups) expect(up.summary.resourceChanges).toEqual({ create: 2 + 2 * 4 + 2 * 5 });
      const [a, b] = await Promise.all([one.stack.exportStack(), two.stack.exportStack()]);
      expect(stateObjects(a).certain).toEqual(objectsInCatalogs(instances.slice(0, 2)));
      expect(stateObjects(b).certain).toEqual(objectsInCatalogs(instances.slice(2, 4)));
      expect(await refusedPairs(instances.slice(0, 2))).toEqual([]);
      expect(await refusedPairs(instances.slice(2, 4))).toEqual([]);
      expect(instances.slice(4).map((i) => i.catalog())).toEqual(before.slice(4));
      await Promise.all([one.stack.destroy(recorded(one)), two.stack.destroy(recorded(two))]);
      expect(instances.map((i) => i.catalog())).toEqual(before);
    } finally {
      await Promise.all([one, two].map((p) => p.stack.destroy({ color: "never" }).catch(() => undefined)));
      one.remove();
      two.remove();
    }
    console.log(`two stacks at once: ${since(t0)} ms`);
  }, 300_000);
});

/**
 * The estate form of MirroringTopology through the real CLI, at preview: a bad estate is refused
 * with every problem (naming the group or session and the property) and 0 requests; one instance
 * declared by two topologies (the issue's AG1 {A, B} + AG2 {B, C} written as two components) is
 * refused before anything is sent; an existing shorthand stack rewritten as an estate previews no
 * change; adding groups over existing pairs plans only the groups' own resources, still with 0
 * requests. Groups are created only at preview here (that needs no availability-group support).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { traffic } from "../engine/emulators";
import { pulumiAvailable } from "../engine/pulumiProject";
import { reservePorts } from "../support/ports";
import { conn, failureOf, secret, setCase, topologyProblems, useCasesProject, type Case } from "./support";

const runEngine = pulumiAvailable();
const MK = "Marker-EstatePreviewMK-7a3f!";

describe.runIf(runEngine)("the estate form at preview, through the CLI", () => {
  const fx = useCasesProject(3, { config: { mkPassword: { value: MK, secret: true } }, destroy: true });
  let ports: number[] = [];
  beforeAll(async () => {
    ports = await reservePorts(3);
  });
  const spec = (name: string, i: number, port = ports[i]) => ({ name, connection: conn(i), masterKeyPassword: secret("mkPassword"), endpoint: { port } });
  const topology = (name: string, args: Record<string, unknown>): Case["declare"][number] => ({ type: "MirroringTopology", name, args });

  it("a bad estate: every problem at once, naming the group or session and the property, 0 requests", async () => {
    await setCase(fx.project, {
      declare: [
        topology("estate", {
          // b and c listen on one host and port; c is declared on a's instance too.
          instances: [spec("a", 0), spec("b", 1, 5400), { ...spec("c", 0, 5400) }],
          availabilityGroups: [
            { name: "ag1", replicas: ["a", "b", "a"], databases: ["sales"] },
            { name: "ag2", replicas: ["b", "zed"], databases: ["sales"] },
            { name: "ag3", replicas: ["c"] },
            { name: "ag4", replicas: ["a", "b"], replicaOptions: { a: { availabilityMode: "SYNCHRONOUS_COMMIT", failoverMode: "AUTOMATIC" } } },
          ],
          mirroringSessions: [{ partners: ["a", "c"], witness: "a", databases: ["sales"] }],
        }),
      ],
    });
    const text = String(await failureOf(fx.project.stack.preview({ color: "never" })));
    expect(topologyProblems(text)).toEqual([
      `instances 'a' and 'c' both connect to 127.0.0.1:${fx.instances[0]!.port}: each instance of the topology must be a different SQL Server instance`,
      "instances 'b' and 'c' would both listen on 127.0.0.1:5400: instances on one host need different endpoint ports (endpoint.port)",
      "availabilityGroups[0] ('ag1').replicas lists 'a' twice: an instance hosts one replica of a group",
      "availabilityGroups[1] ('ag2').replicas names 'zed', which is not an instance of the topology",
      "availabilityGroups[2] ('ag3').replicas an availability group needs 2 to 9 replicas, got 1",
      "availabilityGroups[3] ('ag4').replicaOptions['a'].failoverMode must be MANUAL with CLUSTER_TYPE = NONE: without a cluster manager nothing can fail over automatically, got AUTOMATIC",
      "availabilityGroups[1] ('ag2').databases lists 'sales', which availabilityGroups[0] ('ag1') also holds on 'b': a database belongs to one group",
      "mirroringSessions[0].witness 'a' is also a partner: the witness must be a third instance (SQL Server refuses it, 1429)",
      "mirroringSessions[0].databases lists 'sales', which availabilityGroups[0] ('ag1') also holds on 'a': a database is in an availability group or in a mirroring session, not both",
    ]);
    expect(text).not.toContain(MK);
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });

  it("one instance in two topologies (AG1 {a, b} and AG2 {b, c} as two components): refused at preview naming both, 0 requests", async () => {
    await setCase(fx.project, {
      declare: [
        topology("ag1", { replicas: [spec("a", 0), spec("b", 1)] }),
        topology("ag2", { replicas: [spec("b", 1), spec("c", 2)] }),
      ],
    });
    const text = String(await failureOf(fx.project.stack.preview({ color: "never" })));
    expect(topologyProblems(text)).toEqual([
      `instance 'b' (127.0.0.1:${fx.instances[1]!.port}) is already declared in this program by MirroringTopology 'ag1' (instance 'b'): SQL Server has one DATABASE_MIRRORING endpoint per instance, ` +
        "so two declarations would fight over it (adopt: true would hand the one endpoint to both, each switching it to its own certificate); " +
        "declare the instance once: one MirroringTopology with instances: [...] and every group and session that uses it in availabilityGroups / mirroringSessions",
    ]);
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });

  it("an existing shorthand stack written as an estate previews no change; groups over its pairs plan only their own resources (0 requests)", async () => {
    const replicas = () => [spec("a", 0), spec("b", 1), spec("c", 2)];
    await setCase(fx.project, { declare: [topology("topo", { replicas: replicas() })] });
    const up = await fx.project.stack.up({ color: "never" });
    expect(up.summary.result).toBe("succeeded");
    // Stack + topology + 3 × (instance + master key, certificate, endpoint) + 6 × (trust + login, user, peer certificate, grant).
    const total = 1 + 1 + 3 * 4 + 6 * 5;
    for (const i of fx.instances) i.resetCounters();

    const mesh = { name: "mesh", replicas: ["a", "b", "c"], transportOnly: true };
    await setCase(fx.project, { declare: [topology("topo", { instances: replicas(), availabilityGroups: [mesh] })] });
    const same = await fx.project.stack.preview({ color: "never" });
    expect(same.changeSummary).toEqual({ same: total });
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });

    // AG1 {a, b} and AG2 {b, c} need pairs the estate trusts already: 3 ServerName, 2 groups, 2 joins, 2 databases.
    await setCase(fx.project, {
      declare: [
        topology("topo", {
          instances: replicas(),
          availabilityGroups: [mesh, { name: "ag1", replicas: ["a", "b"], databases: ["sales"] }, { name: "ag2", replicas: ["b", "c"], databases: ["stock"] }],
        }),
      ],
    });
    const added = await fx.project.stack.preview({ color: "never" });
    expect(added.changeSummary).toEqual({ same: total, create: 3 + 2 + 2 + 2 });
    expect(added.stdout).toContain("topo-ag-ag1");
    expect(added.stdout).toContain("topo-ag-ag2-join-c");
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });

    // Without the transport-only mesh, a↔c is needed by nobody: its two trusts (5 resources each) go, nothing else changes.
    await setCase(fx.project, {
      declare: [
        topology("topo", {
          instances: replicas(),
          availabilityGroups: [{ name: "ag1", replicas: ["a", "b"], transportOnly: true }, { name: "ag2", replicas: ["b", "c"], transportOnly: true }],
        }),
      ],
    });
    const narrowed = await fx.project.stack.preview({ color: "never" });
    expect(narrowed.changeSummary).toEqual({ same: total - 2 * 5, delete: 2 * 5 });
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
    // An up and four previews on two shared cores: above the default timeout under load.
  }, 240_000);
});

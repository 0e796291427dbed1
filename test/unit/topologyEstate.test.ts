/**
 * MirroringTopology's estate form under the SDK's mocks (no engine, no SQL Server): what it
 * declares, under which names, with which inputs and dependencies. The two-groups-over-a-shared-
 * instance estate of the issue; a group added over existing pairs; the shorthand written as an
 * estate registers the very same resources; an instance declared twice in one program is refused.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installMocks, registrationsOf, type Registration } from "./support/registrations";

beforeAll(installMocks);

const instance = (name: string, port: number, extra: Record<string, unknown> = {}) => ({
  name,
  connection: { server: `${name}.corp`, port: 1433, user: "sa", password: "Sa-Passw0rd!" },
  masterKeyPassword: "Mk-Passw0rd!",
  endpoint: { port },
  ...extra,
});
const a = instance("a", 5022);
const b = instance("b", 5023);
const c = instance("c", 5024);
const twoGroups = {
  instances: [a, b, c],
  availabilityGroups: [
    { name: "ag1", replicas: ["a", "b"], databases: ["sales"] },
    { name: "ag2", replicas: ["b", "c"], databases: ["stock"] },
  ],
};

const label = (r: Registration) => `${r.type.replace(/^.*:/, "")} ${r.name}`;
const byLabel = (rs: Registration[]) => new Map(rs.map((r) => [label(r), r]));

async function declare(name: string, args: Record<string, unknown>): Promise<Registration[]> {
  const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
  return registrationsOf((opts) => new MirroringTopology(name, args as never, opts));
}

describe("MirroringTopology, estate form", () => {
  it("AG1 {a, b} + AG2 {b, c}: one instance each, role ALL, the trusts a↔b and b↔c only, both groups, one ServerName per instance", async () => {
    const rs = await declare("t", twoGroups);
    const components = rs.filter((r) => !r.type.startsWith("pulumi-nodejs:")).map(label);
    expect(components).toEqual([
      "MirroringInstance t-a", "MirroringInstance t-b", "MirroringInstance t-c",
      "MirroringTopology t",
      "PeerTrust t-a-trusts-b", "PeerTrust t-b-trusts-a", "PeerTrust t-b-trusts-c", "PeerTrust t-c-trusts-b",
    ]);
    const endpoints = rs.filter((r) => r.type.endsWith(":MirroringEndpoint"));
    expect(endpoints.map((e) => [e.name, (e.inputs as { role: string }).role])).toEqual([["t-a-endpoint", "ALL"], ["t-b-endpoint", "ALL"], ["t-c-endpoint", "ALL"]]);
    expect(rs.filter((r) => /ServerName|AvailabilityGroup/.test(r.type)).map(label)).toEqual([
      "AvailabilityGroup t-ag-ag1", "AvailabilityGroup t-ag-ag2",
      "AvailabilityGroupDatabase t-ag-ag1-db-sales", "AvailabilityGroupDatabase t-ag-ag2-db-stock",
      "AvailabilityGroupJoin t-ag-ag1-join-b", "AvailabilityGroupJoin t-ag-ag2-join-c",
      "ServerName t-a-server-name", "ServerName t-b-server-name", "ServerName t-c-server-name",
    ]);
    // AG2 is created on b (its first replica) and joined by c; its replicas reach each other's endpoints.
    const ag2 = byLabel(rs).get("AvailabilityGroup t-ag-ag2")!.inputs as { replicas: Array<{ endpointUrl: string; serverName: string }> };
    expect(ag2.replicas.map((r) => [r.serverName, r.endpointUrl])).toEqual([["HOST-T-B-SERVER-NAME", "TCP://b.corp:5023"], ["HOST-T-C-SERVER-NAME", "TCP://c.corp:5024"]]);
  });

  it("a third group reusing the pair a↔b adds only its own resources; everything else is registered exactly as before", async () => {
    const before = await declare("t", twoGroups);
    const after = await declare("t", { ...twoGroups, availabilityGroups: [...twoGroups.availabilityGroups, { name: "ag3", replicas: ["a", "b"], databases: ["hr"] }] });
    const old = byLabel(before);
    const added = after.filter((r) => !old.has(label(r))).map(label);
    expect(added).toEqual(["AvailabilityGroup t-ag-ag3", "AvailabilityGroupDatabase t-ag-ag3-db-hr", "AvailabilityGroupJoin t-ag-ag3-join-b"]);
    expect(after.filter((r) => old.has(label(r)))).toEqual(before);
  });

  it("the shorthand written as an estate registers the very same resources (names, parents, inputs)", async () => {
    const shorthand = await declare("t", { replicas: [a, b, c], availabilityGroup: { name: "sales", databases: ["orders"], replicaOptions: { c: { availabilityMode: "ASYNCHRONOUS_COMMIT" } } } });
    const estate = await declare("t", { instances: [a, b, c], availabilityGroups: [{ name: "sales", replicas: ["a", "b", "c"], databases: ["orders"], replicaOptions: { c: { availabilityMode: "ASYNCHRONOUS_COMMIT" } } }] });
    expect(estate).toEqual(shorthand);
    const w = instance("w", 5025);
    const mirroring = await declare("m", { partners: [a, b], witness: w, mirroring: { databases: ["sales", "stock"], timeoutSeconds: 20 } });
    const sessions = await declare("m", { instances: [a, b, w], mirroringSessions: [{ partners: ["a", "b"], witness: "w", databases: ["sales", "stock"], timeoutSeconds: 20 }] });
    expect(sessions).toEqual(mirroring);
    const bare = await declare("m", { partners: [a, b], witness: w });
    const transportOnly = await declare("m", { instances: [a, b, w], mirroringSessions: [{ partners: ["a", "b"], witness: "w", transportOnly: true }] });
    expect(transportOnly).toEqual(bare);
  });

  it("a partner that joins a group changes only its endpoint's role input (an in-place update), besides the group's and the new pair's resources", async () => {
    const before = await declare("t", { instances: [a, b, c], mirroringSessions: [{ partners: ["a", "b"], database: "sales" }], availabilityGroups: [{ name: "x", replicas: ["b", "c"] }] });
    const after = await declare("t", { instances: [a, b, c], mirroringSessions: [{ partners: ["a", "b"], database: "sales" }], availabilityGroups: [{ name: "x", replicas: ["b", "c"] }, { name: "y", replicas: ["a", "c"] }] });
    const old = byLabel(before);
    const changed = after.filter((r) => old.has(label(r)) && JSON.stringify(old.get(label(r))) !== JSON.stringify(r));
    expect(changed.map(label)).toEqual(["MirroringEndpoint t-a-endpoint"]);
    const { role: was, ...restBefore } = old.get("MirroringEndpoint t-a-endpoint")!.inputs as Record<string, unknown>;
    const { role: now, ...restAfter } = changed[0]!.inputs as Record<string, unknown>;
    expect([was, now]).toEqual(["PARTNER", "ALL"]);
    expect(restAfter).toEqual(restBefore);
    expect(after.filter((r) => !old.has(label(r))).map(label).filter((l) => !l.includes("-ag-y")).sort()).toEqual([
      "PeerTrust t-a-trusts-c", "PeerTrust t-c-trusts-a",
      "EndpointPermission t-a-trusts-c-connect", "EndpointPermission t-c-trusts-a-connect",
      "Login t-a-trusts-c-login", "Login t-c-trusts-a-login",
      "PeerCertificate t-a-trusts-c-certificate", "PeerCertificate t-c-trusts-a-certificate",
      "User t-a-trusts-c-user", "User t-c-trusts-a-user",
      "ServerName t-a-server-name",
    ].sort());
  });

  it("a witness of one session and a partner of another gets role ALL; partners only PARTNER, a witness only WITNESS", async () => {
    const w = instance("w", 5025);
    const x = instance("x", 5026);
    const rs = await declare("t", {
      instances: [a, b, w, x],
      mirroringSessions: [
        { partners: ["a", "b"], witness: "w", databases: ["sales"] },
        { partners: ["w", "x"], database: "stock" },
      ],
    });
    const roles = rs.filter((r) => r.type.endsWith(":MirroringEndpoint")).map((e) => [e.name, (e.inputs as { role: string }).role]);
    expect(roles).toEqual([["t-a-endpoint", "PARTNER"], ["t-b-endpoint", "PARTNER"], ["t-w-endpoint", "ALL"], ["t-x-endpoint", "PARTNER"]]);
    expect(rs.filter((r) => r.type.endsWith(":MirroringSession")).map(label)).toEqual(["MirroringSession t-mirror-a-b-sales", "MirroringSession t-mirror-w-x-stock"]);
  });

  it("each endpoint waits for every import of its certificate, across groups; each group waits for its own trusts and endpoints", async () => {
    const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
    const { forgetInstanceClaims } = await import("../../provider/components/instanceClaims");
    forgetInstanceClaims();
    const options = new Map<string, pulumi.ResourceOptions>();
    const capture: pulumi.ResourceTransformation = (args) => {
      options.set(args.name, args.opts);
      return undefined;
    };
    const topology = new MirroringTopology("dep", twoGroups as never, { transformations: [capture] });
    const endpointDeps = async (n: string) => (await (options.get(`dep-${n}-endpoint`)!.dependsOn as Promise<pulumi.Resource[]>)) ?? [];
    expect(await endpointDeps("b")).toEqual([topology.trusts["a/b"]!.certificate, topology.trusts["c/b"]!.certificate]);
    expect(await endpointDeps("a")).toEqual([topology.trusts["b/a"]!.certificate]);
    const ag1 = options.get("dep-ag-ag1")!.dependsOn as pulumi.Resource[];
    const own = ["a/b", "b/a"].flatMap((k) => [topology.trusts[k]!.login, topology.trusts[k]!.user, topology.trusts[k]!.certificate, topology.trusts[k]!.permission]);
    expect(ag1).toEqual([...own, topology.instances.a!.endpoint, topology.instances.b!.endpoint]);
    expect(Object.keys(topology.availabilityGroups)).toEqual(["ag1", "ag2"]);
    expect(Object.keys(topology.availabilityGroups.ag2!.serverNames)).toEqual(["b", "c"]);
    expect(topology.availabilityGroup).toBeUndefined();
  });

  it("refuses an instance declared by two topologies of one program, naming both and the fix, before declaring anything of the second", async () => {
    const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
    const { forgetInstanceClaims } = await import("../../provider/components/instanceClaims");
    forgetInstanceClaims();
    new MirroringTopology("dup1", { replicas: [instance("d", 5022), instance("e", 5023)] } as never);
    const message = (() => {
      try {
        new MirroringTopology("dup2", { replicas: [instance("f", 5024), { ...instance("e2", 5025), connection: { server: "E.corp", port: 1433, user: "sa", password: "x" } }] } as never);
      } catch (e) {
        return String((e as Error).message);
      }
      return "did not throw";
    })();
    expect(message).toBe(
      "invalid MirroringTopology:\n  - instance 'e2' (e.corp:1433) is already declared in this program by MirroringTopology 'dup1' (instance 'e'): SQL Server has one DATABASE_MIRRORING endpoint per instance, " +
        "so two declarations would fight over it (adopt: true would hand the one endpoint to both, each switching it to its own certificate); " +
        "declare the instance once: one MirroringTopology with instances: [...] and every group and session that uses it in availabilityGroups / mirroringSessions",
    );
    // A hand-made MirroringInstance on that server is refused the same way.
    const { MirroringInstance } = await import("../../provider/components/mirroringInstance");
    expect(() => new MirroringInstance("solo", { connection: { server: "e.corp", user: "sa", password: "x" }, masterKeyPassword: "Mk-Passw0rd!" })).toThrow(
      "invalid MirroringInstance 'solo':\n  - this instance (e.corp:1433) is already declared in this program by MirroringTopology 'dup1' (instance 'e')",
    );
  });

  it("refuses mixing the estate with a shorthand, and an estate without any use", async () => {
    const { MirroringTopology } = await import("../../provider/components/mirroringTopology");
    expect(() => new MirroringTopology("mix", { instances: [a, b], replicas: [a, b], availabilityGroups: [{ name: "g", replicas: ["a", "b"] }] } as never)).toThrow(
      "invalid MirroringTopology:\n  - instances (the estate form) cannot be combined with replicas: declare every instance once in instances, and each use in availabilityGroups: [{ name, replicas: [...] }] or mirroringSessions: [{ partners: [x, y], witness? }]",
    );
    expect(() => new MirroringTopology("half", { replicas: [a, b], availabilityGroups: [{ name: "g", replicas: ["a", "b"] }] } as never)).toThrow(
      "invalid MirroringTopology:\n  - availabilityGroups name instances by their logical names in instances: [...] (the estate form); declare every instance there instead of in partners / witness / replicas",
    );
    expect(() => new MirroringTopology("none", { instances: [a, b] } as never)).toThrow(
      "  - instances needs at least one use: availabilityGroups: [{ name, replicas: [...] }] or mirroringSessions: [{ partners: [x, y] }] (each instance's endpoint role and trusts come from them)",
    );
  });
});

/**
 * Planning an estate: instances declared once, groups and sessions over them by logical name.
 * Roles and trusts are derived from every use (the union of the pairs), and every mistake is
 * reported at once, naming the group or session and the property.
 */
import { describe, expect, it } from "vitest";
import { groupPath, planEstate, type EstateGroupShape, type EstateSessionShape, type EstateShape } from "../../provider/components/estatePlan";
import { TopologyValidationError, type InstanceShape } from "../../provider/components/plan";

const inst = (name: string, extra: Partial<InstanceShape> = {}): InstanceShape => ({ name, server: `${name}.corp`, ...extra });
const group = (index: number, name: string, replicas: string[], extra: Partial<EstateGroupShape> = {}): EstateGroupShape => ({ path: groupPath(index, name), name, replicas, ...extra });
const session = (index: number, partners: string[], extra: Partial<EstateSessionShape> = {}): EstateSessionShape => ({ path: `mirroringSessions[${index}]`, partners, ...extra });

function problemsOf(shape: EstateShape): string[] {
  try {
    planEstate(shape);
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyValidationError);
    return (e as TopologyValidationError).problems;
  }
  throw new Error("expected planEstate to fail");
}

const trustsOf = (shape: EstateShape) => planEstate(shape).trusts.map((t) => `${t.receiver}/${t.peer}`);
const rolesOf = (shape: EstateShape) => Object.fromEntries(planEstate(shape).instances.map((i) => [i.name, i.role]));

/** The estate: B is a replica of two groups, AG1 {A, B} and AG2 {B, C}. */
const twoGroups: EstateShape = {
  instances: [inst("a"), inst("b"), inst("c")],
  availabilityGroups: [group(0, "ag1", ["a", "b"], { databases: ["sales"] }), group(1, "ag2", ["b", "c"], { databases: ["stock"] })],
};

describe("planEstate: roles and trusts from every use", () => {
  it("two groups over a shared instance: one endpoint each, role ALL, the four trusts the groups need and not A↔C", () => {
    const plan = planEstate(twoGroups);
    expect(plan.instances.map((i) => [i.name, i.role, i.encryption, i.algorithm])).toEqual([
      ["a", "ALL", "REQUIRED", "AES"],
      ["b", "ALL", "REQUIRED", "AES"],
      ["c", "ALL", "REQUIRED", "AES"],
    ]);
    expect(trustsOf(twoGroups)).toEqual(["a/b", "b/a", "b/c", "c/b"]);
    expect(plan.groups.map((g) => [g.path, g.group.name, g.group.replicas.map((r) => r.instance)])).toEqual([
      ["availabilityGroups[0] ('ag1')", "ag1", ["a", "b"]],
      ["availabilityGroups[1] ('ag2')", "ag2", ["b", "c"]],
    ]);
    expect(plan.uses).toEqual([
      { path: "availabilityGroups[0] ('ag1')", instances: ["a", "b"], trusts: ["a/b", "b/a"] },
      { path: "availabilityGroups[1] ('ag2')", instances: ["b", "c"], trusts: ["b/c", "c/b"] },
    ]);
  });

  it("a pair shared by a group and a session is trusted once (the union)", () => {
    const shape: EstateShape = {
      instances: [inst("a"), inst("b"), inst("c")],
      availabilityGroups: [group(0, "ag", ["a", "b", "c"])],
      mirroringSessions: [session(0, ["a", "b"], { databases: ["sales"] })],
    };
    expect(trustsOf(shape)).toEqual(["a/b", "a/c", "b/a", "b/c", "c/a", "c/b"]);
    expect(rolesOf(shape)).toEqual({ a: "ALL", b: "ALL", c: "ALL" });
  });

  it("roles: PARTNER only as a partner, WITNESS only as a witness, ALL when a witness of one session and a partner of another", () => {
    const shape: EstateShape = {
      instances: [inst("p"), inst("q"), inst("w"), inst("x")],
      mirroringSessions: [session(0, ["p", "q"], { witness: "w", databases: ["sales"] }), session(1, ["w", "x"], { databases: ["stock"] }), session(2, ["p", "q"], { witness: "x", database: "hr" })],
    };
    expect(rolesOf(shape)).toEqual({ p: "PARTNER", q: "PARTNER", w: "ALL", x: "ALL" });
    const only: EstateShape = { instances: [inst("p"), inst("q"), inst("w")], mirroringSessions: [session(0, ["p", "q"], { witness: "w", databases: ["a"] }), session(1, ["q", "p"], { witness: "w", databases: ["b"] })] };
    expect(rolesOf(only)).toEqual({ p: "PARTNER", q: "PARTNER", w: "WITNESS" });
    // Two sessions between the same pair with the same witness need no more than one does.
    expect(trustsOf(only)).toEqual(["p/q", "p/w", "q/p", "q/w", "w/p", "w/q"]);
    expect(planEstate(only).sessions.map((s) => [s.path, s.database, s.partners, s.witness])).toEqual([
      ["mirroringSessions[0]", "a", ["p", "q"], "w"],
      ["mirroringSessions[1]", "b", ["q", "p"], "w"],
    ]);
  });

  it("a witness shared by sessions of different pairs trusts each partner once", () => {
    const shape: EstateShape = {
      instances: [inst("a"), inst("b"), inst("c"), inst("d"), inst("w")],
      mirroringSessions: [session(0, ["a", "b"], { witness: "w", databases: ["s1"] }), session(1, ["c", "d"], { witness: "w", databases: ["s2"] })],
    };
    expect(trustsOf(shape)).toEqual(["a/b", "a/w", "b/a", "b/w", "c/d", "c/w", "d/c", "d/w", "w/a", "w/b", "w/c", "w/d"]);
    expect(rolesOf(shape).w).toBe("WITNESS");
  });

  it("adding a group that reuses existing pairs changes no instance and no trust: only the group is new", () => {
    const before = planEstate(twoGroups);
    const after = planEstate({ ...twoGroups, availabilityGroups: [...twoGroups.availabilityGroups!, group(2, "ag3", ["b", "a"], { databases: ["hr"] })] });
    expect(after.instances).toEqual(before.instances);
    expect(after.trusts).toEqual(before.trusts);
    expect(after.groups.slice(0, 2)).toEqual(before.groups);
    expect(after.groups.map((g) => g.group.name)).toEqual(["ag1", "ag2", "ag3"]);
  });

  it("a transport-only group adds roles and trusts, and no group", () => {
    const plan = planEstate({ instances: [inst("a"), inst("b")], availabilityGroups: [group(0, "by-hand", ["a", "b"], { transportOnly: true })] });
    expect(plan.groups).toEqual([]);
    expect(plan.trusts.map((t) => `${t.receiver}/${t.peer}`)).toEqual(["a/b", "b/a"]);
    expect(plan.instances.map((i) => i.role)).toEqual(["ALL", "ALL"]);
    const sessions = planEstate({ instances: [inst("a"), inst("b"), inst("w")], mirroringSessions: [session(0, ["a", "b"], { witness: "w", transportOnly: true })] });
    expect(sessions.sessions).toEqual([]);
    expect(sessions.instances.map((i) => i.role)).toEqual(["PARTNER", "PARTNER", "WITNESS"]);
  });

  it("encryption is compared only between instances that talk", () => {
    const shape: EstateShape = {
      instances: [inst("a", { encryption: "DISABLED" }), inst("b", { encryption: "SUPPORTED" }), inst("c", { encryption: "REQUIRED" })],
      availabilityGroups: [group(0, "ag1", ["a", "b"]), group(1, "ag2", ["b", "c"])],
    };
    expect(trustsOf(shape)).toEqual(["a/b", "b/a", "b/c", "c/b"]);
    const talking = { ...shape, availabilityGroups: [...shape.availabilityGroups!, group(2, "ag3", ["a", "c"])] };
    expect(problemsOf(talking)).toEqual([
      "encryption of 'a' (DISABLED) and 'c' (REQUIRED) cannot connect: DISABLED never encrypts and REQUIRED refuses plaintext; use SUPPORTED or the same setting on both",
    ]);
  });
});

describe("planEstate: every problem at once, naming the group or session and the property", () => {
  it("unknown logical names, the same instance twice in a group, a witness that is a partner", () => {
    expect(
      problemsOf({
        instances: [inst("a"), inst("b"), inst("c")],
        availabilityGroups: [group(0, "ag1", ["a", "z"]), group(1, "ag2", ["b", "c", "b"])],
        mirroringSessions: [session(0, ["a", "y"], { witness: "a", databases: ["sales"] }), session(1, ["b", "c"], { witness: "q", transportOnly: true })],
      }),
    ).toEqual([
      "availabilityGroups[0] ('ag1').replicas names 'z', which is not an instance of the topology",
      "availabilityGroups[1] ('ag2').replicas lists 'b' twice: an instance hosts one replica of a group",
      "mirroringSessions[0].partners names 'y', which is not an instance of the topology",
      "mirroringSessions[0].witness 'a' is also a partner: the witness must be a third instance (SQL Server refuses it, 1429)",
      "mirroringSessions[1].witness names 'q', which is not an instance of the topology",
    ]);
  });

  it("a database in two groups on a shared instance, and in a group and a session", () => {
    expect(
      problemsOf({
        instances: [inst("a"), inst("b"), inst("c"), inst("d")],
        availabilityGroups: [group(0, "ag1", ["a", "b"], { databases: ["sales", "hr"] }), group(1, "ag2", ["b", "c"], { databases: ["Sales"] })],
        mirroringSessions: [session(0, ["a", "d"], { databases: ["hr"] }), session(1, ["c", "d"], { database: "sales" })],
      }),
    ).toEqual([
      "availabilityGroups[1] ('ag2').databases lists 'sales', which availabilityGroups[0] ('ag1') also holds on 'b': a database belongs to one group",
      "mirroringSessions[0].databases lists 'hr', which availabilityGroups[0] ('ag1') also holds on 'a': a database is in an availability group or in a mirroring session, not both",
      "mirroringSessions[1].databases lists 'sales', which availabilityGroups[1] ('ag2') also holds on 'c': a database is in an availability group or in a mirroring session, not both",
    ]);
    // The same name on instances no use shares is another database: accepted.
    expect(() => planEstate({ instances: [inst("a"), inst("b"), inst("c"), inst("d")], availabilityGroups: [group(0, "ag1", ["a", "b"], { databases: ["sales"] }), group(1, "ag2", ["c", "d"], { databases: ["sales"] })] })).not.toThrow();
  });

  it("replica counts and synchronous-commit limits, per group", () => {
    const names = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"];
    const sync = Object.fromEntries(names.slice(0, 6).map((n) => [n, { availabilityMode: "SYNCHRONOUS_COMMIT" }]));
    expect(
      problemsOf({
        instances: names.map((n, i) => inst(n, { endpointPort: 5022 + i })),
        availabilityGroups: [group(0, "big", names), group(1, "solo", ["r0"]), group(2, "sync", names.slice(0, 6), { replicaOptions: sync }), group(3, "mesh", ["r1"], { transportOnly: true })],
      }),
    ).toEqual([
      "availabilityGroups[0] ('big').replicas an availability group needs 2 to 9 replicas, got 10",
      "availabilityGroups[1] ('solo').replicas an availability group needs 2 to 9 replicas, got 1",
      "availabilityGroups[2] ('sync').replicas 6 replicas use SYNCHRONOUS_COMMIT; SQL Server allows at most 5, the primary included (35212): make the others ASYNCHRONOUS_COMMIT",
      "availabilityGroups[3] ('mesh').replicas an availability group needs 2 to 9 replicas, got 1",
    ]);
  });

  it("endpoint ports colliding on one host across the estate, and a server declared twice", () => {
    expect(
      problemsOf({
        instances: [inst("a", { server: "host1", port: 1433, endpointPort: 5022 }), inst("b", { server: "host1", port: 1434, endpointPort: 5022 }), inst("c", { server: "HOST1", port: 1433, endpointPort: 5023 })],
        availabilityGroups: [group(0, "ag1", ["a", "c"]), group(1, "ag2", ["b", "c"])],
      }),
    ).toEqual([
      "instances 'a' and 'b' would both listen on host1:5022: instances on one host need different endpoint ports (endpoint.port)",
      "instances 'a' and 'c' both connect to host1:1433: each instance of the topology must be a different SQL Server instance",
    ]);
  });

  it("an instance nothing uses, transport-only entries with databases, database and databases together", () => {
    expect(
      problemsOf({
        instances: [inst("a"), inst("b"), inst("idle")],
        availabilityGroups: [group(0, "ag", ["a", "b"], { transportOnly: true, databases: ["sales"] })],
        mirroringSessions: [session(0, ["a", "b"], { database: "x", databases: ["y"] })],
      }),
    ).toEqual([
      "availabilityGroups[0] ('ag').databases cannot be given with transportOnly: true (nothing of the group or session is declared, only the endpoints and trusts it needs); remove one of them",
      "mirroringSessions[0].database cannot be combined with mirroringSessions[0].databases: give one of them",
      "instance 'idle' is in no availability group or mirroring session: its endpoint's ROLE and its trusts come from its uses; add it to availabilityGroups[].replicas or mirroringSessions[].partners / witness, or remove it",
    ]);
  });

  it("entries without their instances", () => {
    expect(problemsOf({ instances: [inst("a"), inst("b")], availabilityGroups: [{ path: "x", name: "ag" } as never], mirroringSessions: [{ path: "y", databases: ["s"] } as never] })).toEqual([
      "availabilityGroups[0] ('ag').replicas is required: the logical names of the group's instances, the initial primary first, e.g. ['a', 'b']",
      "mirroringSessions[0].partners is required: the logical names of the two partners, the one each session starts on first, e.g. ['a', 'b'] (and witness: 'w', a logical name)",
      "instance 'a' is in no availability group or mirroring session: its endpoint's ROLE and its trusts come from its uses; add it to availabilityGroups[].replicas or mirroringSessions[].partners / witness, or remove it",
      "instance 'b' is in no availability group or mirroring session: its endpoint's ROLE and its trusts come from its uses; add it to availabilityGroups[].replicas or mirroringSessions[].partners / witness, or remove it",
    ]);
  });
});

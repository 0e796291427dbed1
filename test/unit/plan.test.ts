import { describe, expect, it } from "vitest";
import { encryptionConflict, planTopology, TopologyValidationError, type TopologyShape } from "../../provider/components/plan";

const inst = (name: string, server = `${name}.example`, extra: object = {}) => ({ name, server, ...extra });

function problemsOf(t: TopologyShape): string[] {
  try {
    planTopology(t);
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyValidationError);
    return (e as TopologyValidationError).problems;
  }
  throw new Error("expected planTopology to fail");
}

describe("planTopology", () => {
  it("gives two partners PARTNER, the witness WITNESS, and all six trusts", () => {
    const plan = planTopology({ partners: [inst("a"), inst("b")], witness: inst("w") });
    expect(plan.mode).toBe("mirroring");
    expect(plan.instances.map((i) => [i.name, i.role, i.encryption, i.algorithm])).toEqual([
      ["a", "PARTNER", "REQUIRED", "AES"],
      ["b", "PARTNER", "REQUIRED", "AES"],
      ["w", "WITNESS", "REQUIRED", "AES"],
    ]);
    expect(plan.trusts).toEqual([
      { receiver: "a", peer: "b" },
      { receiver: "a", peer: "w" },
      { receiver: "b", peer: "a" },
      { receiver: "b", peer: "w" },
      { receiver: "w", peer: "a" },
      { receiver: "w", peer: "b" },
    ]);
  });

  it("gives two partners without a witness two trusts", () => {
    expect(planTopology({ partners: [inst("a"), inst("b")] }).trusts).toHaveLength(2);
  });

  it.each([2, 3, 5, 9])("gives an AG of %i replicas role ALL and n·(n−1) trusts", (n) => {
    const plan = planTopology({ replicas: Array.from({ length: n }, (_, i) => inst(`r${i}`)) });
    expect(plan.mode).toBe("availabilityGroup");
    expect(plan.instances.every((i) => i.role === "ALL")).toBe(true);
    expect(plan.trusts).toHaveLength(n * (n - 1));
    expect(new Set(plan.trusts.map((t) => `${t.receiver}>${t.peer}`)).size).toBe(n * (n - 1));
  });

  it("applies topology-wide encryption and per-instance overrides", () => {
    const plan = planTopology({
      partners: [inst("a", "a", { encryption: "SUPPORTED" }), inst("b")],
      encryption: "REQUIRED",
      algorithm: "AES RC4",
    });
    expect(plan.instances.map((i) => `${i.encryption}/${i.algorithm}`)).toEqual(["SUPPORTED/AES RC4", "REQUIRED/AES RC4"]);
  });

  it.each<[string, TopologyShape, string]>([
    ["a single partner", { partners: [inst("a")] }, "database mirroring needs exactly two partners, got 1 (a single partner has nobody to mirror to)"],
    ["three partners", { partners: [inst("a"), inst("b"), inst("c")] }, "database mirroring needs exactly two partners, got 3"],
    ["nothing", {}, "give partners: [a, b] (database mirroring, optional witness) or replicas: [...] (availability group)"],
    [
      "a witness with replicas",
      { replicas: [inst("a"), inst("b")], witness: inst("w") },
      "a witness belongs to database mirroring, not to an availability group: remove witness, or use partners instead of replicas",
    ],
    [
      "partners and replicas",
      { partners: [inst("a"), inst("b")], replicas: [inst("c"), inst("d")] },
      "give either partners (+ optional witness) for database mirroring, or replicas for an availability group, not both",
    ],
    ["one replica", { replicas: [inst("a")] }, "an availability group needs 2 to 9 replicas, got 1"],
    ["ten replicas", { replicas: Array.from({ length: 10 }, (_, i) => inst(`r${i}`)) }, "an availability group needs 2 to 9 replicas, got 10"],
    ["a duplicate name", { partners: [inst("a", "x"), inst("a", "y")] }, "instance name 'a' is used 2 times: names must be unique in the topology"],
    [
      "the same instance twice",
      { partners: [inst("a", "SQL1"), inst("b", "sql1")] },
      "instances 'a' and 'b' both connect to sql1:1433: each instance of the topology must be a different SQL Server instance",
    ],
    [
      "DISABLED against REQUIRED",
      { partners: [inst("a", "a", { encryption: "DISABLED" }), inst("b")] },
      "encryption of 'a' (DISABLED) and 'b' (REQUIRED) cannot connect: DISABLED never encrypts and REQUIRED refuses plaintext; use SUPPORTED or the same setting on both",
    ],
    [
      "AES against RC4",
      { partners: [inst("a", "a", { algorithm: "AES" }), inst("b", "b", { algorithm: "RC4" })] },
      `algorithms of 'a' (AES) and 'b' (RC4) share no cipher; use the same algorithm or "AES RC4"`,
    ],
    ["an unknown encryption", { partners: [inst("a"), inst("b")], encryption: "ON" as never }, 'encryption must be one of REQUIRED, SUPPORTED, DISABLED, not "ON"'],
    [
      "a bad logical name",
      { partners: [inst("a b"), inst("b")] },
      'instance name "a b" is not valid: use 1–48 letters, digits, \'_\' or \'-\', starting with a letter (it becomes part of login, user and certificate names)',
    ],
    [
      "two endpoints on one host and port",
      { partners: [inst("a", "h", { port: 1433 }), inst("b", "h", { port: 1434 })] },
      "instances 'a' and 'b' would both listen on h:5022: instances on one host need different endpoint ports (endpoint.port)",
    ],
  ])("rejects %s", (_label, shape, message) => {
    expect(problemsOf(shape)).toContain(message);
  });

  it("reports every problem at once", () => {
    expect(problemsOf({ partners: [inst("a", "s"), inst("a", "s", { encryption: "DISABLED" })] })).toHaveLength(2);
  });

  it("accepts instances on one host with different ports", () => {
    expect(() =>
      planTopology({ partners: [inst("a", "h", { port: 1433, endpointPort: 5022 }), inst("b", "h", { port: 1434, endpointPort: 5023 })] }),
    ).not.toThrow();
  });

  it("skips server checks when servers are not known at program time", () => {
    expect(() => planTopology({ partners: [{ name: "a" }, { name: "b" }] })).not.toThrow();
  });
});

describe("encryptionConflict", () => {
  const p = (encryption: "REQUIRED" | "SUPPORTED" | "DISABLED", algorithm: "AES" | "RC4" | "AES RC4" | "RC4 AES" = "AES") => ({
    name: encryption,
    role: "ALL" as const,
    encryption,
    algorithm,
  });
  it.each([
    ["REQUIRED", "REQUIRED", false],
    ["REQUIRED", "SUPPORTED", false],
    ["SUPPORTED", "DISABLED", false],
    ["DISABLED", "DISABLED", false],
    ["DISABLED", "REQUIRED", true],
  ] as const)("%s with %s conflicts: %s", (a, b, conflicts) => {
    expect(encryptionConflict(p(a), p(b)) !== undefined).toBe(conflicts);
  });
  it("accepts overlapping algorithm lists", () => {
    expect(encryptionConflict(p("REQUIRED", "RC4 AES"), p("REQUIRED", "AES"))).toBeUndefined();
  });
});

describe("certificate lifecycle settings in a topology", () => {
  it("reports every instance's rotation and warning problems with the certificate.* property names", () => {
    expect(
      problemsOf({
        replicas: [
          inst("a", "a.example", { settings: { validityDays: 30, rotateBeforeDays: 30 } }),
          inst("b", "b.example", { settings: { rotateBeforeDays: 10 } }),
          inst("c", "c.example", { settings: { expiryDate: "2099-01-01", rotateBeforeDays: 10, warnBeforeDays: -1 } }),
        ],
      }),
    ).toEqual([
      "instance 'a' (a.example:1433): certificate.rotateBeforeDays must be less than certificate.validityDays (30), got 30: a renewed certificate would be due for rotation at once",
      "instance 'b' (b.example:1433): certificate.rotateBeforeDays needs certificate.validityDays: the validity of each renewed certificate, e.g. certificate.validityDays: 365",
      "instance 'c' (c.example:1433): certificate.warnBeforeDays must be a whole number of days from 0 to 36500, got -1",
      "instance 'c' (c.example:1433): certificate.rotateBeforeDays cannot be combined with certificate.expiryDate: a renewed certificate would get the same expiry date and be due again at once; give certificate.validityDays (the validity of each renewed certificate) instead",
    ]);
  });

  it("accepts a rotation window shorter than the validity", () => {
    expect(planTopology({ replicas: [inst("a", "a.example", { settings: { validityDays: 365, rotateBeforeDays: 30, warnBeforeDays: 45 } }), inst("b")] }).instances).toHaveLength(2);
  });
});

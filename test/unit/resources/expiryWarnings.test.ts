/**
 * The program side of expiry warnings, with Pulumi's mocks: which resource prints what, at which
 * severity, and that a topology prints one message per instance (its peers' imported copies carry
 * the same date and stay quiet).
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { TEST_CLOCK_VARIABLE } from "../../../provider/resources/certificateLifecycle";

const EXPIRY = "2031-03-31T00:00:00Z";
// Every certificate the mocks create expires on EXPIRY; names follow the resource names.
beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const certificate = /Certificate$/.test(args.type) ? { certificateName: `cert_of_${args.name}`, expiryDate: EXPIRY, subject: "mirroring peer-x" } : {};
        return { id: `${args.name}-id`, state: { ...args.inputs, ...certificate, url: "TCP://h:5022", name: args.inputs.name ?? args.name } };
      },
      call: () => ({}),
    },
    "project",
    "stack",
    true,
  );
});
afterEach(() => {
  delete process.env[TEST_CLOCK_VARIABLE];
  vi.restoreAllMocks();
});

const connection = { server: "127.0.0.1", port: 1433, user: "sa", password: "Pw-12345678!" };

/** The messages logged while `declare` builds resources, with the name of the resource each is attached to. */
async function logged(declare: () => pulumi.Resource[]): Promise<Array<[string, string, string]>> {
  const out: Array<[string, string, string]> = [];
  const record = (severity: string) => (message: string, resource?: pulumi.Resource) => {
    out.push([severity, message, resource ? "attached" : "none"]);
    return Promise.resolve();
  };
  vi.spyOn(pulumi.log, "warn").mockImplementation(record("warning"));
  vi.spyOn(pulumi.log, "error").mockImplementation(record("error"));
  const resources = declare();
  await Promise.all(resources.map((r) => new Promise((done) => r.urn.apply(done))));
  // Let the applies on the outputs run.
  await new Promise((r) => setTimeout(r, 50));
  return out;
}

describe("expiry warnings in the program", () => {
  it("a Certificate warns within warnBeforeDays and errs once expired, attached to itself", async () => {
    const { Certificate } = await import("../../../provider/resources/certificate");
    process.env[TEST_CLOCK_VARIABLE] = "2031-03-20T00:00:00Z";
    expect(await logged(() => [new Certificate("c1", { connection, instanceName: "sql-a" })])).toEqual([
      [
        "warning",
        "certificate [cert_of_c1] of instance 'sql-a' expires on 2031-03-31T00:00:00Z, in 11 days (warnBeforeDays 30): from then on its peers refuse new connections from 'sql-a'; " +
          "rotate it before then: set certificate.rotateBeforeDays and run pulumi up on a schedule, or change certificate.validityDays (or subject) and run pulumi up",
        "attached",
      ],
    ]);
    expect(await logged(() => [new Certificate("c2", { connection, warnBeforeDays: 10 })])).toEqual([]);
    process.env[TEST_CLOCK_VARIABLE] = "2031-04-01T00:00:00Z";
    const expired = await logged(() => [new Certificate("c3", { connection })]);
    const prefix = "certificate [cert_of_c3] of instance 'c3' expired on 2031-03-31T00:00:00Z: its peers refuse new connections from 'c3'";
    expect(expired.map(([s, m]) => [s, m.slice(0, prefix.length)])).toEqual([["error", prefix]]);
  });

  it("a PeerCertificate names the receiving instance and the peer, unless told to stay quiet", async () => {
    const { PeerCertificate } = await import("../../../provider/resources/peerCertificate");
    process.env[TEST_CLOCK_VARIABLE] = "2031-03-30T00:00:00Z";
    const args = { connection, owner: "u", publicKey: "AAAA" };
    const messages = await logged(() => [
      new PeerCertificate("p1", { ...args, instanceName: "sql-b", peerName: "sql-a" }),
      new PeerCertificate("p2", { ...args, expiryWarnings: false }),
    ]);
    const prefix = "certificate [cert_of_p1] imported on instance 'sql-b' for peer 'sql-a' expires on 2031-03-31T00:00:00Z, in 1 day (warnBeforeDays 30)";
    expect(messages.map(([s, m]) => [s, m.slice(0, prefix.length)])).toEqual([["warning", prefix]]);
  });

  it("refuses a wrong warnBeforeDays at program time", async () => {
    const { Certificate } = await import("../../../provider/resources/certificate");
    expect(() => new Certificate("bad", { connection, warnBeforeDays: -3 })).toThrow("Certificate 'bad': warnBeforeDays must be a whole number of days from 0 to 36500, got -3");
  });

  it("a topology prints one message per instance, naming it by its logical name", async () => {
    const { MirroringTopology } = await import("../../../provider/components/mirroringTopology");
    process.env[TEST_CLOCK_VARIABLE] = "2031-03-25T00:00:00Z";
    const spec = (name: string, port: number) => ({ name, connection: { ...connection, port }, masterKeyPassword: "Mk-Passw0rd-123!", endpoint: { port: port + 4000 } });
    let topology: InstanceType<typeof MirroringTopology> | undefined;
    const messages = await logged(() => {
      topology = new MirroringTopology("t", { replicas: [spec("sql-a", 1433), spec("sql-b", 1434), spec("sql-c", 1435)], certificate: { warnBeforeDays: 7, validityDays: 90, rotateBeforeDays: 5 } });
      return Object.values(topology.instances).map((i) => i.certificate);
    });
    const expected = (n: string) => `certificate [cert_of_t-${n}-certificate] of instance '${n}' expires on 2031-03-31T00:00:00Z, in 6 days (warnBeforeDays 7)`;
    expect(messages.map(([s, m, a]) => [s, m.slice(0, expected("sql-a").length), a])).toEqual(["sql-a", "sql-b", "sql-c"].map((n) => ["warning", expected(n), "attached"]));
    expect(messages[0]![1]).toMatch(/; it is rotated by the first pulumi up from 2031-03-26T00:00:00Z \(rotateBeforeDays 5\)$/);
    expect(await new Promise((r) => topology!.certificateExpiries.apply(r))).toEqual({ "sql-a": EXPIRY, "sql-b": EXPIRY, "sql-c": EXPIRY });
  });
});

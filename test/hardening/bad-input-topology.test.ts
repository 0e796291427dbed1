/**
 * Bad topologies and component arguments are refused before anything is declared, through the real
 * CLI: `pulumi preview` fails with every problem at once (TopologyValidationError), and neither
 * preview nor `pulumi up` sends a single request (the emulators' counters stay at zero). A bad value
 * that is only known once the program runs (an Output) is still refused by its resource's check.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { traffic } from "../engine/emulators";
import { pulumiAvailable } from "../engine/pulumiProject";
import { conn, failureOf, plain, secret, setCase, useCasesProject, type Case } from "./support";

const runEngine = pulumiAvailable();
const MK = "Marker-TopoMK-4e1d!";

/** An instance spec on emulated instance `i` (or on a server that is never contacted). */
const spec = (name: string, i: number, extra: Record<string, unknown> = {}) => ({ name, connection: conn(i), masterKeyPassword: secret("mkPassword"), ...extra });

/** The "- …" lines of a TopologyValidationError as the CLI prints them. */
function topologyProblems(text: string, component = "MirroringTopology"): string[] {
  const start = text.indexOf(`TopologyValidationError: invalid ${component}:`);
  expect(start, `no TopologyValidationError for ${component} in:\n${text.slice(0, 2000)}`).toBeGreaterThanOrEqual(0);
  const lines = text.slice(start).split("\n").slice(1);
  const problems: string[] = [];
  for (const line of lines) {
    const m = /^\s+- (.*)$/.exec(line);
    if (!m) break;
    problems.push(m[1]!);
  }
  return problems;
}

interface TopologyCase {
  title: string;
  args: (ports: number[]) => Record<string, unknown>;
  problems: (ports: number[]) => string[];
  component?: string;
  type?: string;
}

const CASES: TopologyCase[] = [
  {
    title: "a witness in an availability group",
    args: () => ({ replicas: [spec("a", 0), spec("b", 1)], witness: spec("w", 2) }),
    problems: () => ["a witness belongs to database mirroring, not to an availability group: remove witness, or use partners instead of replicas"],
  },
  {
    title: "database mirroring with one partner",
    args: () => ({ partners: [spec("a", 0)] }),
    problems: () => ["database mirroring needs exactly two partners, got 1 (a single partner has nobody to mirror to)"],
  },
  {
    title: "the same instance twice (and both endpoints on one host and port)",
    args: () => ({ replicas: [spec("a", 0), spec("b", 0)] }),
    problems: ([p0]) => [
      `instances 'a' and 'b' both connect to 127.0.0.1:${p0}: each instance of the topology must be a different SQL Server instance`,
      "instances 'a' and 'b' would both listen on 127.0.0.1:5022: instances on one host need different endpoint ports (endpoint.port)",
    ],
  },
  {
    title: "encryption DISABLED on one partner and REQUIRED on the other",
    args: () => ({ partners: [spec("a", 0, { endpoint: { encryption: "DISABLED", port: 5022 } }), spec("b", 1, { endpoint: { encryption: "REQUIRED", port: 5023 } })] }),
    problems: () => [
      "encryption of 'a' (DISABLED) and 'b' (REQUIRED) cannot connect: DISABLED never encrypts and REQUIRED refuses plaintext; use SUPPORTED or the same setting on both",
    ],
  },
  {
    title: "unknown topology encryption and algorithm, algorithms sharing no cipher",
    args: () => ({
      replicas: [spec("a", 0, { endpoint: { algorithm: "RC4", port: 5022 } }), spec("b", 1, { endpoint: { algorithm: "AES", port: 5023 } })],
      encryption: "MAYBE",
      algorithm: "DES",
    }),
    problems: () => [
      "encryption must be one of REQUIRED, SUPPORTED, DISABLED, not \"MAYBE\"",
      'algorithm must be one of "AES", "RC4", "AES RC4", "RC4 AES", not "DES"',
      "algorithms of 'a' (RC4) and 'b' (AES) share no cipher; use the same algorithm or \"AES RC4\"",
    ],
  },
  {
    title: "ten replicas, invalid and duplicate logical names",
    args: () => ({
      replicas: Array.from({ length: 10 }, (_, i) => ({
        name: i === 0 ? "1st" : i === 1 ? "r2" : `r${i}`,
        connection: { server: `10.9.9.${i + 1}`, user: "sa", password: "x" },
        masterKeyPassword: "Marker-TenMK-4e1d!",
      })),
    }),
    problems: () => [
      "an availability group needs 2 to 9 replicas, got 10",
      `instance name "1st" is not valid: use 1–48 letters, digits, '_' or '-', starting with a letter (it becomes part of login, user and certificate names)`,
      "instance name 'r2' is used 2 times: names must be unique in the topology",
    ],
  },
  {
    title: "per-instance settings known at program time: port, listener IP, reserved endpoint name, state, dates, subject, empty server and password",
    args: () => ({
      replicas: [
        spec("a", 0, { endpoint: { port: 70000, listenerIp: "localhost", name: "##hadr", state: "RUNNING" }, masterKeyPassword: "" }),
        spec("b", 1, { certificate: { expiryDate: "2020-01-01", subject: "s".repeat(129) } }),
        { name: "c", connection: { server: "", port: 0, user: "sa", password: "x" }, masterKeyPassword: "x", certificate: { startDate: "2031-02-01", expiryDate: "2031-01-01" } },
      ],
      certificate: { validityDays: 0 },
    }),
    problems: ([p0, p1]) => [
      `instance 'a' (127.0.0.1:${p0}): masterKeyPassword must not be empty`,
      `instance 'a' (127.0.0.1:${p0}): endpoint.name must not start with ##: SQL Server reserves that prefix for system endpoints (7869)`,
      `instance 'a' (127.0.0.1:${p0}): endpoint.port must be an integer from 1 to 65535 (got 70000)`,
      `instance 'a' (127.0.0.1:${p0}): endpoint.listenerIp must be ALL, an IPv4 address like 10.0.0.5, or an IPv6 address like fd00::5 (got 'localhost')`,
      `instance 'a' (127.0.0.1:${p0}): endpoint.state must be one of "STARTED", "STOPPED", "DISABLED", got "RUNNING"`,
      `instance 'a' (127.0.0.1:${p0}): certificate.validityDays must be a whole number from 1 to 36500, got 0`,
      `instance 'b' (127.0.0.1:${p1}): certificate.subject is 129 characters long; SQL Server accepts at most 128, so shorten it`,
      `instance 'b' (127.0.0.1:${p1}): certificate.validityDays must be a whole number from 1 to 36500, got 0`,
      `instance 'b' (127.0.0.1:${p1}): certificate.validityDays cannot be combined with certificate.expiryDate: give one of them`,
      `instance 'b' (127.0.0.1:${p1}): certificate.expiryDate expiry date 2020-01-01T00:00:00Z is in the past; an endpoint cannot use an expired certificate`,
      "instance 'c': connection.server must be a host name or IP address",
      "instance 'c': connection.port must be an integer from 1 to 65535 (got 0)",
      "instance 'c': masterKeyPassword is 1 characters long; SQL Server's password policy needs at least 8 (error 15116 at up)",
      "instance 'c': certificate.validityDays must be a whole number from 1 to 36500, got 0",
      "instance 'c': certificate.validityDays cannot be combined with certificate.expiryDate: give one of them",
      "instance 'c': certificate.expiryDate expiry date 2031-01-01T00:00:00Z must be after the start date 2031-02-01T00:00:00Z",
    ],
  },
  {
    title: "master-key passwords SQL Server's password policy refuses, given as plain strings",
    args: () => ({ replicas: [spec("a", 0, { masterKeyPassword: "password", endpoint: { port: 5022 } }), spec("b", 1, { masterKeyPassword: "Ab1!", endpoint: { port: 5023 } })] }),
    problems: ([p0, p1]) => [
      `instance 'a' (127.0.0.1:${p0}): masterKeyPassword has characters from 1 of the four categories SQL Server's password policy counts (A–Z, a–z, 0–9, other characters); it needs three (error 15118 at up)`,
      `instance 'b' (127.0.0.1:${p1}): masterKeyPassword is 4 characters long; SQL Server's password policy needs at least 8 (error 15116 at up)`,
    ],
  },
  {
    title: "a MirroringInstance on its own: a bad port and an expiry in the past",
    type: "MirroringInstance",
    component: "MirroringInstance 'solo'",
    args: () => ({ connection: conn(0), masterKeyPassword: secret("mkPassword"), endpoint: { port: 0 }, certificate: { expiryDate: "2021-06-01" } }),
    problems: () => [
      "endpoint.port must be an integer from 1 to 65535 (got 0)",
      "certificate.expiryDate expiry date 2021-06-01T00:00:00Z is in the past; an endpoint cannot use an expired certificate",
    ],
  },
];

describe.runIf(runEngine)("bad topologies fail before anything is declared, and nothing is sent", () => {
  const fx = useCasesProject(3, { config: { mkPassword: { value: MK, secret: true } } });
  let ports: number[];
  beforeAll(() => {
    ports = fx.instances.map((i) => i.port);
  });

  it.each(CASES)("preview: $title", async ({ args, problems, type, component }) => {
    const name = type === "MirroringInstance" ? "solo" : "topo";
    await setCase(fx.project, { declare: [{ type: type ?? "MirroringTopology", name, args: args(ports) }] });
    const text = String(await failureOf(fx.project.stack.preview({ color: "never" })));
    expect(topologyProblems(text, component)).toEqual(problems(ports));
    expect(text).not.toContain(MK);
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });

  it("up: a bad endpoint port on one replica fails before any object exists on any instance", async () => {
    const before = fx.instances.map((i) => i.catalog());
    await setCase(fx.project, { declare: [{ type: "MirroringTopology", name: "topo", args: { replicas: [spec("a", 0), spec("b", 1, { endpoint: { port: 0 } }), spec("c", 2, { endpoint: { port: 5024 } })] } }] });
    const text = String(await failureOf(fx.project.stack.up({ color: "never" })));
    expect(topologyProblems(text)).toEqual([`instance 'b' (127.0.0.1:${fx.instances[1]!.port}): endpoint.port must be an integer from 1 to 65535 (got 0)`]);
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
    expect(fx.instances.map((i) => i.catalog())).toEqual(before);
    // Only the stack and the component itself were registered; no SQL Server object is in state.
    const types = ((await fx.project.stack.exportStack()).deployment.resources ?? []).map((r: { type: string }) => r.type);
    expect(types.filter((t: string) => t.startsWith("pulumi-nodejs:dynamic/"))).toEqual([]);
  });

  it("a bad value known only at run time (an Output) is still refused by the resource's check, with nothing sent", async () => {
    // The peer's public key comes from another resource in real programs; here a plain string
    // travels through PeerTrust untouched, and the PeerCertificate's check refuses it.
    const notDer = Buffer.from("not a certificate").toString("base64");
    const c: Case = {
      declare: [{ type: "PeerTrust", name: "trust", args: { connection: conn(0), endpointName: "hadr_endpoint", peerName: "sql-b", publicKey: plain(notDer) } }],
    };
    await setCase(fx.project, c);
    const text = String(await failureOf(fx.project.stack.preview({ color: "never" })));
    expect(text).toContain(
      `error: pulumi-nodejs:dynamic/mssql-mirroring:PeerCertificate resource 'trust-certificate': property publicKey value {${notDer}} has a problem: is not a valid DER X.509 certificate (SQL Server would refuse it with 15297)`,
    );
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });
});

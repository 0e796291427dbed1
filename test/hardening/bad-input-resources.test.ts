/**
 * Bad input is refused at `pulumi preview`, through the real CLI, per resource: every problem is
 * reported with the property, the value (masked when secret) and the fix, exactly as the engine
 * prints check failures, and no request reaches any server (the emulators' counters stay at zero).
 * One project, one preview per case; each case puts several bad properties on one resource, since
 * the engine reports all of a resource's failures together.
 */
import { describe, expect, it } from "vitest";
import { traffic } from "../engine/emulators";
import { pulumiAvailable } from "../engine/pulumiProject";
import { conn, failureOf, setCase, useCasesProject, type Case } from "./support";

const runEngine = pulumiAvailable();
const T = "pulumi-nodejs:dynamic/mssql-mirroring";
/** A real DER certificate is not needed: nothing here gets past check. */
const NOT_DER = Buffer.from("this is not a certificate").toString("base64");

interface BadCase {
  title: string;
  type: string;
  args: Record<string, unknown>;
  /**
   * `property <p> value {<v>} has a problem: <reason>`, as the engine prints each failure. The
   * engine looks values up by top-level key only, so nested properties (`connection.port`) print
   * `{<nil>}`: by design, since a failure on the whole `connection` object would make the engine
   * print the object, password included (pulumi/pulumi#19465).
   */
  problems: string[];
}

const c129 = "c".repeat(129);
const CASES: BadCase[] = [
  {
    title: "MasterKey: empty password; connection with an empty server, an empty password, port 0 and a zero timeout",
    type: "MasterKey",
    args: { connection: conn(0, { server: "", password: "", port: 0, requestTimeoutMs: 0 }), password: "" },
    problems: [
      "property connection.server value {<nil>} has a problem: must be a host name or IP address",
      "property connection.port value {<nil>} has a problem: must be an integer from 1 to 65535 (got 0)",
      "property connection.requestTimeoutMs value {<nil>} has a problem: must be a positive integer (milliseconds)",
      "property connection.password value {<nil>} has a problem: must not be empty: give the password of connection.user",
      "property password value {[secret]} has a problem: must not be empty",
    ],
  },
  {
    title: "Certificate: empty name, 129-character subject, expiry before start",
    type: "Certificate",
    args: { connection: conn(0), name: "", subject: "s".repeat(129), startDate: "2031-01-02", expiryDate: "2031-01-01" },
    problems: [
      "property name value {} has a problem: must not be empty",
      "property subject value {" + "s".repeat(129) + "} has a problem: is 129 characters long; SQL Server accepts at most 128, so shorten it",
      "property expiryDate value {2031-01-01} has a problem: expiry date 2031-01-01T00:00:00Z must be after the start date 2031-01-02T00:00:00Z",
    ],
  },
  {
    title: "Certificate: 129-character name, expiry already past, a date that is not ISO-8601 UTC",
    type: "Certificate",
    args: { connection: conn(0), name: c129, expiryDate: "2020-01-01", startDate: "01/02/2019" },
    problems: [
      `property name value {${c129}} has a problem: is 129 characters long; SQL Server names hold at most 128, so shorten it`,
      "property startDate value {01/02/2019} has a problem: must be an ISO-8601 UTC date such as 2030-01-31 or 2030-01-31T00:00:00Z (got '01/02/2019')",
      "property expiryDate value {2020-01-01} has a problem: expiry date 2020-01-01T00:00:00Z is in the past; an endpoint cannot use an expired certificate",
    ],
  },
  {
    title: "MirroringEndpoint: reserved ## name, port 0, a host name as listener IP, unknown encryption, algorithm, role and state",
    type: "MirroringEndpoint",
    args: { connection: conn(0), name: "##hadr", port: 0, listenerIp: "localhost", certificateName: "c", encryption: "MAYBE", algorithm: "DES", role: "PRIMARY", state: "RUNNING" },
    problems: [
      "property name value {##hadr} has a problem: must not start with ##: SQL Server reserves that prefix for system endpoints (7869)",
      "property port value {0} has a problem: must be an integer from 1 to 65535 (got 0)",
      "property listenerIp value {localhost} has a problem: must be ALL, an IPv4 address like 10.0.0.5, or an IPv6 address like fd00::5 (got 'localhost')",
      'property encryption value {MAYBE} has a problem: must be one of "REQUIRED", "SUPPORTED", "DISABLED", got "MAYBE"',
      'property algorithm value {DES} has a problem: must be one of "AES", "RC4", "AES RC4", "RC4 AES", got "DES"',
      'property role value {PRIMARY} has a problem: must be one of "PARTNER", "WITNESS", "ALL", got "PRIMARY"',
      'property state value {RUNNING} has a problem: must be one of "STARTED", "STOPPED", "DISABLED", got "RUNNING"',
    ],
  },
  {
    title: "MirroringEndpoint: empty name, port 65536, an IPv4 address out of range, a trailing space in the certificate name",
    type: "MirroringEndpoint",
    args: { connection: conn(0), name: "", port: 65536, listenerIp: "256.1.1.1", certificateName: "cert " },
    problems: [
      "property name value {} has a problem: must not be empty",
      "property port value {65536} has a problem: must be an integer from 1 to 65535 (got 65536)",
      "property listenerIp value {256.1.1.1} has a problem: must be ALL, an IPv4 address like 10.0.0.5, or an IPv6 address like fd00::5 (got '256.1.1.1')",
      "property certificateName value {cert } has a problem: ends with a space; SQL Server ignores trailing spaces when comparing names, so remove them",
    ],
  },
  {
    title: "Login: a Windows-style name with a backslash and a 129-character password",
    type: "Login",
    args: { connection: conn(0), name: "CORP\\sql-b", password: "p".repeat(129) },
    problems: [
      "property name value {CORP\\sql-b} has a problem: must not contain a backslash: DOMAIN\\name is a Windows login, SQL logins cannot have one",
      "property password value {[secret]} has a problem: is 129 characters long; SQL Server accepts at most 128, so shorten it",
    ],
  },
  {
    title: "MasterKey: the password `password`, which SQL Server's password policy refuses (15118 at up, after other instances' objects exist)",
    type: "MasterKey",
    args: { connection: conn(0), password: "password" },
    problems: [
      "property password value {[secret]} has a problem: has characters from 1 of the four categories SQL Server's password policy counts (A–Z, a–z, 0–9, other characters); it needs three (error 15118 at up)",
    ],
  },
  {
    title: "Login: a 7-character password under CHECK_POLICY (the default)",
    type: "Login",
    args: { connection: conn(0), name: "mirroring_b_login", password: "Sh0rt!x" },
    problems: ["property password value {[secret]} has a problem: is 7 characters long; SQL Server's password policy needs at least 8 (error 15116 at up)"],
  },
  {
    title: "Login: a password containing the login's name",
    type: "Login",
    args: { connection: conn(0), name: "peer_login", password: "My-PEER_LOGIN-2024!" },
    problems: ["property password value {[secret]} has a problem: contains the login's name, which SQL Server's password policy refuses (error 15118 at up)"],
  },
  {
    title: "Login: a 129-character name and an empty password",
    type: "Login",
    args: { connection: conn(0), name: c129, password: "" },
    problems: [
      `property name value {${c129}} has a problem: is 129 characters long; SQL Server names hold at most 128, so shorten it`,
      "property password value {[secret]} has a problem: must not be empty",
    ],
  },
  {
    title: "User: empty name, 129-character login",
    type: "User",
    args: { connection: conn(0), name: "", login: c129 },
    problems: [
      "property name value {} has a problem: must not be empty",
      `property login value {${c129}} has a problem: is 129 characters long; SQL Server names hold at most 128, so shorten it`,
    ],
  },
  {
    title: "PeerCertificate: a public key that is not DER, an empty owner",
    type: "PeerCertificate",
    args: { connection: conn(0), owner: "", publicKey: NOT_DER },
    problems: [
      "property owner value {} has a problem: must not be empty",
      `property publicKey value {${NOT_DER}} has a problem: is not a valid DER X.509 certificate (SQL Server would refuse it with 15297)`,
    ],
  },
  {
    title: "PeerCertificate: a public key that is neither base64 nor hex",
    type: "PeerCertificate",
    args: { connection: conn(0), owner: "peer_user", publicKey: "-----BEGIN CERTIFICATE-----" },
    problems: ["property publicKey value {-----BEGIN CERTIFICATE-----} has a problem: is neither base64 nor 0x-prefixed hex"],
  },
  {
    title: "EndpointPermission: empty endpoint, a login with a backslash",
    type: "EndpointPermission",
    args: { connection: conn(0), endpoint: "", login: "CORP\\peer" },
    problems: [
      "property endpoint value {} has a problem: must not be empty",
      "property login value {CORP\\peer} has a problem: must not contain a backslash: DOMAIN\\name is a Windows login, SQL logins cannot have one",
    ],
  },
  {
    title: "CertificateBackup: 129-character certificate name, the private key in the certificate's file, an empty key password",
    type: "CertificateBackup",
    args: { connection: conn(0), certificateName: c129, file: "b.cer", privateKey: { file: "b.cer", password: "" } },
    problems: [
      `property certificateName value {${c129}} has a problem: is 129 characters long; SQL Server names hold at most 128, so shorten it`,
      "property privateKey.password value {<nil>} has a problem: must not be empty",
      "property privateKey.file value {<nil>} has a problem: must differ from file: the certificate and its private key are written to two files",
    ],
  },
];

describe.runIf(runEngine)("bad resource input fails pulumi preview with the property and the fix, and sends nothing", () => {
  const fx = useCasesProject(1);

  it.each(CASES)("$title", async ({ type, args, problems }) => {
    const name = "bad";
    const c: Case = { declare: [{ type, name, args }] };
    await setCase(fx.project, c);
    const error = await failureOf(fx.project.stack.preview({ color: "never" }));
    const text = String(error);
    const reported = [...text.matchAll(new RegExp(`error: ${T}:${type} resource '${name}': (property .*)`, "g"))].map((m) => m[1]!);
    // Each failure is printed twice (progress and diagnostics): the set must be exactly the expected one.
    expect([...new Set(reported)].sort()).toEqual([...problems].sort());
    expect(text).toMatch(/Resources:\s+\+ 1 to create\s+1 errored/);
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });

  it("a NUL character in a name is refused by check; an unpaired surrogate, which Pulumi would turn into U+FFFD, by the resource itself", async () => {
    await setCase(fx.project, { declare: [{ type: "Login", name: "bad", args: { connection: conn(0), name: "peer\u0000login" } }] });
    const nul = String(await failureOf(fx.project.stack.preview({ color: "never" })));
    expect(nul).toContain(`error: ${T}:Login resource 'bad': property name value {peer\u0000login} has a problem: must not contain the NUL character (U+0000); remove it`);
    await setCase(fx.project, { declare: [{ type: "Certificate", name: "bad", args: { connection: conn(0), name: "cert\uD800", subject: "s" } }] });
    const surrogate = String(await failureOf(fx.project.stack.preview({ color: "never" })));
    expect(surrogate).toContain("Error: Certificate 'bad': name contains an unpaired UTF-16 surrogate, which Pulumi cannot carry (it would arrive as U+FFFD, changing the value); remove it");
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });
});

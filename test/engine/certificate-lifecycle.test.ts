/**
 * Certificate lifecycle through the real Pulumi CLI, on a three-replica mesh of emulated instances
 * whose clock the test moves (the emulator's `now` option, and the package's test-only clock
 * variable for the program and the providers, set to the same instant): nonsense settings refused
 * at preview, warnings while a certificate approaches its expiry, an automatic rotation previewed
 * exactly at its window and performed without a single refused connection (every pair polled
 * continuously), no second rotation, the error-level message once a certificate has expired, and
 * the next `up` rotating the expired certificates. Emulator only: a real server's clock cannot move.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY_MS, TEST_CLOCK_VARIABLE } from "../../provider/resources/certificateLifecycle";
import { createProject, pulumiAvailable, recorded, ROOT, type TestProject } from "./pulumiProject";
import { acquire, handshake, requestCount, snapshot, tsqlOn, whilePolling, type Target, type TargetSet } from "./targets";
import { reservePorts } from "../support/ports";

const NAMES = ["sql-a", "sql-b", "sql-c"] as const;
// Stack, topology component, 3 × (instance component + master key + certificate + endpoint),
// 6 × (trust component + login + user + peer certificate + grant).
const RESOURCES = 1 + 1 + 3 * 4 + 6 * 5;
// 3 certificates and 6 peer certificates replaced, 3 endpoints switched.
const ROTATION = { same: RESOURCES - 12, replace: 9, update: 3 };
const VALIDITY_DAYS = 30;
const ROTATE_BEFORE_DAYS = 10;
const WARN_BEFORE_DAYS = 15;
const T0 = new Date("2030-01-01T00:00:00Z");
// A certificate made from validityDays starts an hour before the clock (skew allowance).
const FIRST_EXPIRY = new Date(T0.getTime() - 3_600_000 + VALIDITY_DAYS * DAY_MS);

const iso = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;
const runEngine = pulumiAvailable();

describe.runIf(runEngine)("certificate lifecycle of a three-replica mesh through the Pulumi CLI", () => {
  const clock = { now: T0 };
  let set: TargetSet;
  let instances: Target[];
  let project: TestProject;
  let before: unknown[];
  let ports: number[];
  const byName = (n: string) => instances[NAMES.indexOf(n as (typeof NAMES)[number])]!;

  /** Moves the instances' clock and the program's and providers' clock to `d`. */
  const setClock = (d: Date) => {
    clock.now = d;
    project.stack.workspace.envVars[TEST_CLOCK_VARIABLE] = iso(d);
  };
  const setTopology = (certificate: { rotateBeforeDays?: number; validityDays?: number }) =>
    project.stack.setConfig("topology", {
      value: JSON.stringify({
        replicas: NAMES.map((name, i) => ({ name, server: instances[i]!.sql.server, port: instances[i]!.sql.port, endpointPort: ports[i]! })),
        certificateValidityDays: certificate.validityDays ?? VALIDITY_DAYS,
        certificateRotateBeforeDays: certificate.rotateBeforeDays,
        certificateWarnBeforeDays: WARN_BEFORE_DAYS,
      }),
    });

  const handshakes = async () =>
    Promise.all(NAMES.flatMap((from) => NAMES.filter((to) => to !== from).map(async (to) => `${from}->${to}: ${await handshake(byName(from), byName(to), { from: "replica", to: "replica" })}`)));
  const allAccepted = NAMES.flatMap((f) => NAMES.filter((t) => t !== f).map((t) => `${f}->${t}: ok`));
  /** Each instance's own certificate: name, expiry, thumbprint, as the stack outputs say. */
  const certificates = async () => (await project.stack.outputs()).certificates!.value as Record<string, { name: string; thumbprint: string; expiryDate: string }>;

  /** Runs `up` while every pair's handshake is checked continuously; returns the refusals seen and the time `up` took. */
  const upWatched = async () => {
    const started = Date.now();
    const { value: up, refusals, polls } = await whilePolling(handshakes, async () => {
      const result = await project.stack.up(recorded(project));
      return { result, ms: Date.now() - started };
    });
    return { up: up.result, ms: up.ms, refusals, polls };
  };

  beforeAll(async () => {
    ports = await reservePorts(NAMES.length);
    set = await acquire("emulator", 3, { now: () => clock.now });
    instances = set.targets;
    before = await Promise.all(instances.map(snapshot));
    const tls = instances[0]!.sql;
    project = await createProject({
      source: ROOT,
      include: ["Pulumi.yaml", "program"],
      files: { "ca.pem": tls.ca! },
      config: {
        topology: { value: "{}" },
        sqlLogin: { value: tls.user },
        sqlPassword: { value: tls.password, secret: true },
        masterKeyPassword: { value: "Marker-LifeMK-4e2a!", secret: true },
        tlsCaFile: { value: "ca.pem" },
      },
    });
    setClock(T0);
  });

  afterAll(async () => {
    await project?.stack.destroy({ color: "never" }).catch(() => undefined);
    project?.remove();
    await set?.stop();
  });

  it("refuses rotateBeforeDays >= validityDays at preview, naming the property, without a request", async () => {
    await setTopology({ rotateBeforeDays: VALIDITY_DAYS });
    const t0 = requestCount(set);
    const failed = await project.stack.preview(recorded(project)).then(
      () => undefined,
      (e: unknown) => String(e),
    );
    for (const n of NAMES) {
      // Each instance is named by its logical name and its server:port.
      const sql = byName(n).sql;
      expect(failed).toContain(
        `instance '${n}' (${sql.server}:${sql.port}): certificate.rotateBeforeDays must be less than certificate.validityDays (30), got 30: a renewed certificate would be due for rotation at once`,
      );
    }
    expect(requestCount(set)).toEqual(t0);
  });

  it("creates the mesh with 30-day certificates; every pair accepted", async () => {
    await setTopology({ rotateBeforeDays: ROTATE_BEFORE_DAYS });
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ create: RESOURCES });
    const certs = await certificates();
    for (const n of NAMES) expect(certs[n]!.expiryDate).toBe(iso(FIRST_EXPIRY));
    expect(await handshakes()).toEqual(allAccepted);
  });

  it("one second before the rotation window: no change, no request at preview, and the warning at preview and up", async () => {
    setClock(new Date(FIRST_EXPIRY.getTime() - ROTATE_BEFORE_DAYS * DAY_MS - 1000));
    const certs = await certificates();
    const warnings = NAMES.map(
      (n) =>
        `certificate [${certs[n]!.name}] of instance '${n}' expires on ${iso(FIRST_EXPIRY)}, in 10 days (warnBeforeDays 15): from then on its peers refuse new connections from '${n}'; ` +
        `it is rotated by the first pulumi up from ${iso(new Date(FIRST_EXPIRY.getTime() - ROTATE_BEFORE_DAYS * DAY_MS))} (rotateBeforeDays 10)`,
    );
    const t0 = requestCount(set);
    const preview = await project.stack.preview(recorded(project));
    expect(requestCount(set)).toEqual(t0);
    expect(preview.changeSummary).toEqual({ same: RESOURCES });
    for (const w of warnings) expect(preview.stdout).toContain(`warning: ${w}`);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES });
    for (const w of warnings) expect(up.stdout).toContain(`warning: ${w}`);
  });

  it("exactly at the window: preview names every replacement without a request; up rotates with no refused connection", async () => {
    const rotationAt = new Date(FIRST_EXPIRY.getTime() - ROTATE_BEFORE_DAYS * DAY_MS);
    setClock(rotationAt);
    const old = await certificates();
    const t0 = requestCount(set);
    const preview = await project.stack.preview(recorded(project));
    expect(requestCount(set)).toEqual(t0);
    expect(preview.changeSummary).toEqual(ROTATION);
    console.log(`preview of a due rotation:\n${preview.stdout}`);
    // Every step of the rotation is named: the new certificates, every peer's import, every endpoint.
    const line = (type: string, name: string, op: string) => new RegExp(`^\\s*${op === "replace" ? "\\+-" : "~"}\\s+pulumi-nodejs:dynamic/mssql-mirroring:${type}\\s+${name}\\s+${op}\\b`, "m");
    for (const n of NAMES) {
      expect(preview.stdout).toMatch(line("Certificate", `test-${n}-certificate`, "replace"));
      expect(preview.stdout).toMatch(line("MirroringEndpoint", `test-${n}-endpoint`, "update"));
      for (const p of NAMES.filter((x) => x !== n)) expect(preview.stdout).toMatch(line("PeerCertificate", `test-${n}-trusts-${p}-certificate`, "replace"));
    }

    const { up, refusals, polls, ms } = await upWatched();
    console.log(`rotation of a 3-replica mesh: up took ${ms} ms, ${polls} rounds of 6 handshakes, ${refusals.length} refused`);
    expect(up.summary.resourceChanges).toEqual(ROTATION);
    expect(refusals).toEqual([]);
    expect(polls).toBeGreaterThan(10);
    const now = await certificates();
    const renewed = iso(new Date(rotationAt.getTime() - 3_600_000 + VALIDITY_DAYS * DAY_MS));
    for (const n of NAMES) {
      expect(now[n]!.name).not.toBe(old[n]!.name);
      expect(now[n]!.thumbprint).not.toBe(old[n]!.thumbprint);
      expect(now[n]!.expiryDate).toBe(renewed);
    }
    // The old certificates are gone: one own and two peer certificates per instance remain.
    for (const i of instances) expect(await tsqlOn(i, "SELECT name FROM sys.certificates WHERE name LIKE N'mirroring[_]%'")).toHaveLength(3);
    expect(await handshakes()).toEqual(allAccepted);
  });

  it("a second run rotates nothing: no change and no request at preview, no change at up", async () => {
    const t0 = requestCount(set);
    const preview = await project.stack.preview(recorded(project));
    expect(requestCount(set)).toEqual(t0);
    expect(preview.changeSummary).toEqual({ same: RESOURCES });
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES });
  });

  it("once expired without automatic rotation: an error-level message at preview and up, which still succeed", async () => {
    await setTopology({});
    const certs = await certificates();
    const expiry = new Date(certs["sql-a"]!.expiryDate);
    setClock(new Date(expiry.getTime() + 1000));
    // New connections already fail: every instance's own certificate is past its date.
    expect((await handshakes()).every((h) => / 28023 /.test(h))).toBe(true);
    const errors = NAMES.map(
      (n) =>
        `error: certificate [${certs[n]!.name}] of instance '${n}' expired on ${iso(expiry)}: its peers refuse new connections from '${n}' (established connections last until they drop); ` +
        "rotate it now: change certificate.validityDays (or subject) and run pulumi up, or set certificate.rotateBeforeDays",
    );
    const t0 = requestCount(set);
    const preview = await project.stack.preview(recorded(project));
    expect(requestCount(set)).toEqual(t0);
    expect(preview.changeSummary).toEqual({ same: RESOURCES });
    for (const e of errors) expect(preview.stdout).toContain(e);
    const up = await project.stack.up(recorded(project));
    expect(up.summary.result).toBe("succeeded");
    expect(up.summary.resourceChanges).toEqual({ same: RESOURCES });
    for (const e of errors) expect(up.stdout).toContain(e);
  });

  it("turning automatic rotation back on rotates the expired certificates at the next up", async () => {
    await setTopology({ rotateBeforeDays: ROTATE_BEFORE_DAYS });
    const t0 = requestCount(set);
    const old = await certificates();
    const preview = await project.stack.preview({ ...recorded(project), diff: true });
    expect(requestCount(set)).toEqual(t0);
    expect(preview.changeSummary).toEqual(ROTATION);
    // With --diff, each certificate shows the new generated name beside the old one.
    for (const n of NAMES) expect(preview.stdout).toMatch(new RegExp(`~ name\\s*: "${old[n]!.name}" => "mirroring_cert_[0-9a-f]{8}"`));
    const up = await project.stack.up(recorded(project));
    expect(up.summary.resourceChanges).toEqual(ROTATION);
    expect(await handshakes()).toEqual(allAccepted);
  });

  it("destroys everything, leaving every catalog exactly as before", async () => {
    const destroy = await project.stack.destroy(recorded(project));
    expect(destroy.summary.resourceChanges).toEqual({ delete: RESOURCES });
    expect(await Promise.all(instances.map(snapshot))).toEqual(before);
  });
});

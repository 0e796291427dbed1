/**
 * `npm run bench [-- --quick]`: round trips, engine-floor ratio, scale and serialized-provider size
 * of pulumi-mssql-mirroring, measured with the real Pulumi CLI against emulated SQL Server
 * instances. Prints a table and writes bench/results.json. See bench/README.md for the method.
 *
 * Options: --quick (2-replica scale point, 1 pair; default 5 pairs and 2, 4, 8 replicas), --pairs N, --scale 2,4,8, --out FILE,
 * --no-ops, --no-update, --no-ag, --[no-]scale-baseline (also time the baseline at each scale point;
 * default on in full runs).
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ConfigMap, OpMap } from "@pulumi/pulumi/automation";
import { startEmulator, type EmulatorInstance } from "../emulator";
import { POOL_SIZE } from "../provider/sql/connection";
import { createProject, DYNAMIC_PROVIDER_PROCESS, median, ROOT, round, timed, watchProcesses, WORK_DIR, type BenchProject } from "./harness";
import { measureOperations, type OperationsResult } from "./operations";
import { SaSql } from "../scripts/saSql";

const SA_PASSWORD = "Bench-SA-Passw0rd!";
const MASTER_KEY_PASSWORD = "Bench-MK-Passw0rd!";
const COMMANDS = ["up", "noopUp", "refresh", "destroy"] as const;
type Command = (typeof COMMANDS)[number];
type PerCommand<T> = Record<Command, T>;

interface Options {
  quick: boolean;
  pairs: number;
  scale: number[];
  out: string;
  ops: boolean;
  update: boolean;
  scaleBaseline: boolean;
  ag: boolean;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes("--quick");
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const pairs = Number(value("--pairs") ?? (quick ? 1 : 5));
  const scale = (value("--scale") ?? (quick ? "2" : "2,4,8")).split(",").map(Number);
  if (!(Number.isInteger(pairs) && pairs >= 1 && pairs <= 20)) throw new Error("--pairs must be 1..20");
  if (scale.some((n) => !(Number.isInteger(n) && n >= 2 && n <= 9))) throw new Error("--scale takes replica counts 2..9");
  return {
    quick,
    pairs,
    scale,
    out: path.resolve(value("--out") ?? path.join(ROOT, "bench", quick ? "results.quick.json" : "results.json")),
    ops: !argv.includes("--no-ops"),
    update: !argv.includes("--no-update"),
    scaleBaseline: quick ? argv.includes("--scale-baseline") : !argv.includes("--no-scale-baseline"),
    ag: !argv.includes("--no-ag"),
  };
}

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Projects

/** Files of a benchmark project running `program` (`./program/index` or `./baseline/index`). */
function projectFiles(kind: "real" | "baseline", ca: string): Record<string, string | { copy: string }> {
  return {
    "Pulumi.yaml": `name: mssql-mirroring-bench-${kind}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: entry.ts\n`,
    "entry.ts": { copy: path.join(ROOT, "bench", "programs", "entry.ts") },
    ...(kind === "real" ? { program: { copy: path.join(ROOT, "program") } } : { baseline: { copy: path.join(ROOT, "bench", "programs", "baseline") } }),
    "ca.pem": ca,
  };
}

interface InstanceConfig {
  name: string;
  server: string;
  port: number;
  endpointPort: number;
}

function stackConfig(topology: Record<string, unknown>): ConfigMap {
  return {
    topology: { value: JSON.stringify(topology) },
    sqlPassword: { value: SA_PASSWORD, secret: true },
    masterKeyPassword: { value: MASTER_KEY_PASSWORD, secret: true },
    tlsCaFile: { value: "ca.pem" },
  };
}

const instanceConfig = (instances: EmulatorInstance[], prefix: string) =>
  instances.map((inst, i): InstanceConfig => ({ name: `${prefix}${i + 1}`, server: "127.0.0.1", port: inst.port, endpointPort: 5022 + i }));

/** Partners + witness, as the engine tests declare it. */
function mirroringTopology(instances: EmulatorInstance[], algorithm = "AES", portShift = 0) {
  const [a, b, c] = instanceConfig(instances, "sql-");
  const shift = (x: InstanceConfig, i: number) => (i === 0 ? { ...x, endpointPort: x.endpointPort + portShift } : x);
  return { partners: [shift(a!, 0), b!], witness: c!, encryption: "REQUIRED", algorithm, certificateValidityDays: 365 };
}

function agTopology(instances: EmulatorInstance[]) {
  return { replicas: instanceConfig(instances, "r"), encryption: "REQUIRED", algorithm: "AES", certificateValidityDays: 365 };
}

async function newProject(name: string, kind: "real" | "baseline", ca: string, topology: Record<string, unknown>, env: Record<string, string> = {}): Promise<BenchProject> {
  return createProject({
    name,
    files: projectFiles(kind, ca),
    config: stackConfig(topology),
    env: { BENCH_PROGRAM: kind === "real" ? "./program/index" : "./baseline/index", ...env },
  });
}

// ---------------------------------------------------------------------------------------------
// Commands and counters

interface Traffic {
  logins: number[];
  requests: number[];
  rpcs: number[];
}

function snapshot(instances: EmulatorInstance[]): Traffic {
  return {
    logins: instances.map((i) => i.counters.logins + i.counters.failedLogins),
    requests: instances.map((i) => i.counters.requests),
    rpcs: instances.map((i) => i.counters.rpcs),
  };
}

function delta(before: Traffic, after: Traffic): Traffic {
  const d = (k: keyof Traffic) => after[k].map((v, i) => v - before[k][i]!);
  return { logins: d("logins"), requests: d("requests"), rpcs: d("rpcs") };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

interface CommandRun {
  ms: number;
  traffic: Traffic;
  changes: OpMap | undefined;
  providerPeakRssMb?: number;
}

const CLI_ARGS: PerCommand<string[]> = {
  up: ["up", "--yes", "--skip-preview"],
  noopUp: ["up", "--yes", "--skip-preview"],
  refresh: ["refresh", "--yes", "--skip-preview"],
  destroy: ["destroy", "--yes", "--skip-preview"],
};

/**
 * Runs one command on a project with the CLI, timed, with the instances' traffic around it (and
 * the dynamic-provider process's peak memory when asked); the resource changes come from the
 * stack's history afterwards, outside the timing.
 */
async function run(project: BenchProject, command: Command, instances: EmulatorInstance[], watchProvider = false): Promise<CommandRun> {
  const before = snapshot(instances);
  const watcher = watchProvider ? watchProcesses(DYNAMIC_PROVIDER_PROCESS) : undefined;
  let ms: number;
  let peak: { peakRssMb: number } | undefined;
  try {
    ms = (await timed(() => project.cli(CLI_ARGS[command]))).ms;
  } finally {
    peak = watcher?.stop();
  }
  const traffic = delta(before, snapshot(instances));
  const [last] = await project.stack.history(1);
  if (last?.result !== "succeeded") throw new Error(`${project.name} ${command} did not succeed: ${last?.result}`);
  const changes = last.resourceChanges;
  if (command === "noopUp" || command === "refresh") {
    const changed = Object.entries(changes ?? {}).filter(([k, v]) => k !== "same" && (v ?? 0) > 0);
    if (changed.length > 0) throw new Error(`${project.name} ${command} changed resources: ${JSON.stringify(changes)}`);
  }
  return { ms, traffic, changes, ...(peak ? { providerPeakRssMb: peak.peakRssMb } : {}) };
}

async function preview(project: BenchProject, instances: EmulatorInstance[]): Promise<{ traffic: Traffic; ms: number; changes: OpMap | undefined }> {
  const before = snapshot(instances);
  const { value, ms } = await timed(() => project.stack.preview({ color: "never", onOutput: () => undefined }));
  return { traffic: delta(before, snapshot(instances)), ms, changes: value.changeSummary };
}

// ---------------------------------------------------------------------------------------------
// State

interface StateFigures {
  resources: number;
  dynamicResources: number;
  stateBytes: number;
  stateBytesPerResource: number;
  providerBytesPerResource: number;
  providerBytesMax: number;
  distinctProviders: number;
  providerMentionsVersion: boolean;
  /** Every `__provider` is exactly what serializing `thinProvider(kind)` gives (nothing else, e.g. no version, is in it). */
  providerIsThinProvider: boolean;
}

/** `__provider` texts as the SDK serializes the package's thin providers, by kind. */
const serializedThinProviders = new Map<string, string>();
async function thinProviderTexts(kinds: string[]): Promise<Map<string, string>> {
  const { runtime } = await import("@pulumi/pulumi");
  const { thinProvider } = await import("../provider/resources/thinProvider");
  for (const kind of kinds) {
    if (serializedThinProviders.has(kind)) continue;
    const provider = thinProvider(kind);
    serializedThinProviders.set(kind, (await runtime.serializeFunction(() => provider, { allowSecrets: true })).text);
  }
  return serializedThinProviders;
}

async function stateFigures(project: BenchProject, packageVersion: string): Promise<StateFigures> {
  const deployment = await project.stack.exportStack();
  const resources = (deployment.deployment as { resources?: Array<{ type: string; outputs?: Record<string, unknown>; inputs?: Record<string, unknown> }> }).resources ?? [];
  const dynamic = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
  const providers = dynamic.map((r) => String(r.outputs?.__provider ?? r.inputs?.__provider ?? ""));
  const kindOf = (type: string) => type.slice(type.lastIndexOf(":") + 1);
  const expected = await thinProviderTexts([...new Set(dynamic.map((r) => kindOf(r.type)))]);
  const bytes = providers.map((p) => Buffer.byteLength(p));
  const stateBytes = Buffer.byteLength(JSON.stringify(deployment));
  // Stack + components + dynamic resources (the engine's default provider is not a program resource).
  const counted = resources.filter((r) => !r.type.startsWith("pulumi:providers:"));
  return {
    resources: counted.length,
    dynamicResources: dynamic.length,
    stateBytes,
    stateBytesPerResource: round(stateBytes / counted.length),
    providerBytesPerResource: round(sum(bytes) / Math.max(1, bytes.length)),
    providerBytesMax: Math.max(0, ...bytes),
    distinctProviders: new Set(providers).size,
    providerMentionsVersion: providers.some((p) => p.includes(packageVersion) || /version/i.test(p)),
    providerIsThinProvider: dynamic.every((r, i) => expected.get(kindOf(r.type)) === providers[i]),
  };
}

// ---------------------------------------------------------------------------------------------
// Sections

interface FloorResult {
  pairs: Array<PerCommand<{ real: number; baseline: number }>>;
  ratio: PerCommand<number>;
  spread: PerCommand<{ min: number; max: number }>;
  real: PerCommand<number>;
  baseline: PerCommand<number>;
  loginsPerInstance: PerCommand<number[]>;
  requestsPerCommand: PerCommand<number>;
  rpcsPerCommand: PerCommand<number>;
  providerPeakRssMb: { real: number; baseline: number };
  /** Median program registration time of `up` from scratch (program start → last resource declared). */
  registrationMs?: { real: number; baseline: number };
  changes: Partial<PerCommand<OpMap | undefined>>;
  previewRequests: number;
  previewLogins: number;
  previews: Array<{ what: string; requests: number; logins: number; ms: number }>;
  state?: StateFigures;
  baselineState?: StateFigures;
}

async function floorSection(instances: EmulatorInstance[], pairs: number, packageVersion: string): Promise<FloorResult> {
  const topology = mirroringTopology(instances);
  const ca = instances[0]!.tlsCertificate;
  const registrationLog = (side: string) => path.join(WORK_DIR, `registration-floor-${side}-${process.pid}.json`);
  const real = await newProject("floor-real", "real", ca, topology, { BENCH_REGISTRATION_LOG: registrationLog("real") });
  const baseline = await newProject("floor-baseline", "baseline", ca, topology, { BENCH_REGISTRATION_LOG: registrationLog("baseline") });
  const registrations: { real: number[]; baseline: number[] } = { real: [], baseline: [] };
  const result: FloorResult = {
    pairs: [],
    ratio: {} as PerCommand<number>,
    spread: {} as PerCommand<{ min: number; max: number }>,
    real: {} as PerCommand<number>,
    baseline: {} as PerCommand<number>,
    loginsPerInstance: { up: [], noopUp: [], refresh: [], destroy: [] },
    requestsPerCommand: { up: 0, noopUp: 0, refresh: 0, destroy: 0 },
    rpcsPerCommand: { up: 0, noopUp: 0, refresh: 0, destroy: 0 },
    providerPeakRssMb: { real: 0, baseline: 0 },
    changes: {},
    previewRequests: 0,
    previewLogins: 0,
    previews: [],
  };
  const notePreview = (what: string, p: { traffic: Traffic; ms: number }) => {
    const requests = sum(p.traffic.requests);
    const logins = sum(p.traffic.logins);
    result.previews.push({ what, requests, logins, ms: round(p.ms) });
    result.previewRequests = Math.max(result.previewRequests, requests);
    result.previewLogins = Math.max(result.previewLogins, logins);
  };
  try {
    // Warm-up (disk caches, ts-node) and the preview of a new stack, which must not reach SQL Server.
    notePreview("new stack", await preview(real, instances));
    await preview(baseline, instances);
    for (let p = 0; p < pairs; p++) {
      const order: BenchProject[] = p % 2 === 0 ? [real, baseline] : [baseline, real];
      const pair = {} as PerCommand<{ real: number; baseline: number }>;
      for (const command of COMMANDS) {
        const times = { real: 0, baseline: 0 };
        for (const project of order) {
          const r = await run(project, command, instances, true);
          const side = project === real ? "real" : "baseline";
          result.providerPeakRssMb[side] = Math.max(result.providerPeakRssMb[side], r.providerPeakRssMb ?? 0);
          if (command === "up") {
            registrations[side].push((JSON.parse(readFileSync(registrationLog(side), "utf8")) as { lastMs: number }).lastMs);
            rmSync(registrationLog(side), { force: true });
          }
          if (project === real) {
            times.real = r.ms;
            result.loginsPerInstance[command] = r.traffic.logins.map((v, i) => Math.max(v, result.loginsPerInstance[command][i] ?? 0));
            result.requestsPerCommand[command] = Math.max(result.requestsPerCommand[command], sum(r.traffic.requests));
            result.rpcsPerCommand[command] = Math.max(result.rpcsPerCommand[command], sum(r.traffic.rpcs));
            result.changes[command] = r.changes;
          } else times.baseline = r.ms;
        }
        pair[command] = times;
        log(`pair ${p + 1}/${pairs} ${command}: real ${round(times.real)} ms, baseline ${round(times.baseline)} ms (${round(times.real / times.baseline, 2)}×)`);
        if (command === "up" && p === 0) {
          notePreview("unchanged stack", await preview(real, instances));
          result.state = await stateFigures(real, packageVersion);
          result.baselineState = await stateFigures(baseline, packageVersion);
        }
      }
      result.pairs.push(pair);
    }
  } finally {
    real.remove();
    baseline.remove();
  }
  result.registrationMs = { real: round(median(registrations.real)), baseline: round(median(registrations.baseline)) };
  for (const command of COMMANDS) {
    const ratios = result.pairs.map((p) => p[command].real / p[command].baseline);
    result.ratio[command] = round(median(ratios), 3);
    result.spread[command] = { min: round(Math.min(...ratios), 3), max: round(Math.max(...ratios), 3) };
    result.real[command] = round(median(result.pairs.map((p) => p[command].real)));
    result.baseline[command] = round(median(result.pairs.map((p) => p[command].baseline)));
  }
  return result;
}

interface EngineOps {
  /** RPCs (the operations' own requests) the instances received per operation of the command, on average. */
  createAvg: number;
  readAvg: number;
  deleteAvg: number;
  updateAvg?: number;
  updateLoginsPerInstance?: number[];
}

/** An in-place update through the engine: endpoint port of one instance and every endpoint's algorithm. */
async function updateSection(instances: EmulatorInstance[]): Promise<{ updates: number; requests: number; rpcs: number; loginsPerInstance: number[] }> {
  const ca = instances[0]!.tlsCertificate;
  const project = await newProject("update", "real", ca, mirroringTopology(instances));
  try {
    await run(project, "up", instances);
    await project.stack.setConfig("topology", { value: JSON.stringify(mirroringTopology(instances, "AES RC4", 100)) });
    const r = await run(project, "up", instances);
    await run(project, "destroy", instances);
    return { updates: r.changes?.update ?? 0, requests: sum(r.traffic.requests), rpcs: sum(r.traffic.rpcs), loginsPerInstance: r.traffic.logins };
  } finally {
    project.remove();
  }
}

interface ScalePoint {
  replicas: number;
  resources: number;
  upMs: number;
  noopUpMs: number;
  refreshMs: number;
  destroyMs: number;
  msPerResource: number;
  msPerResourceByCommand: PerCommand<number>;
  providerPeakRssMb: number;
  providerPeakRssMbByCommand: PerCommand<number>;
  registrationMs: number;
  registeredResources: number;
  maxLoginsPerInstance: PerCommand<number>;
  requestsPerOperation: { create: number; read: number; delete: number };
  stateBytesPerResource: number;
  providerBytesPerResource: number;
  /** The baseline program (same graph, providers that do nothing) at this size, when measured. */
  baseline?: PerCommand<number> & { msPerResource: number };
}

/** The four commands on the baseline program for `replicas` (nothing reaches the instances). */
async function scaleBaseline(instances: EmulatorInstance[], replicas: number): Promise<PerCommand<number> & { msPerResource: number }> {
  const used = instances.slice(0, replicas);
  const project = await newProject(`scale-baseline-${replicas}`, "baseline", used[0]!.tlsCertificate, agTopology(used));
  try {
    const ms = {} as PerCommand<number>;
    let resources = 0;
    for (const command of COMMANDS) {
      const r = await run(project, command, used);
      ms[command] = round(r.ms);
      if (command === "up") resources = (r.changes?.create ?? 0) + (r.changes?.same ?? 0);
    }
    log(`scale ${replicas} replicas baseline: ${COMMANDS.map((c) => `${c} ${ms[c]} ms`).join(", ")}`);
    return { ...ms, msPerResource: round(ms.up / Math.max(1, resources), 1) };
  } finally {
    project.remove();
  }
}

async function scalePoint(instances: EmulatorInstance[], replicas: number, packageVersion: string): Promise<ScalePoint> {
  const used = instances.slice(0, replicas);
  const registrationLog = path.join(WORK_DIR, `registration-${replicas}-${process.pid}.json`);
  const project = await newProject(`scale-${replicas}`, "real", used[0]!.tlsCertificate, agTopology(used), { BENCH_REGISTRATION_LOG: registrationLog });
  try {
    const runs = {} as PerCommand<CommandRun>;
    let state: StateFigures | undefined;
    let registration = { firstMs: 0, lastMs: 0, count: 0 };
    for (const command of COMMANDS) {
      runs[command] = await run(project, command, used, true);
      if (command === "up") {
        registration = JSON.parse(readFileSync(registrationLog, "utf8")) as typeof registration;
        state = await stateFigures(project, packageVersion);
      }
      log(`scale ${replicas} replicas ${command}: ${round(runs[command].ms)} ms, provider peak ${runs[command].providerPeakRssMb} MB`);
    }
    const resources = state!.resources;
    const perCommand = <T>(f: (c: Command) => T) => Object.fromEntries(COMMANDS.map((c) => [c, f(c)])) as PerCommand<T>;
    const dyn = state!.dynamicResources;
    return {
      replicas,
      resources,
      upMs: round(runs.up.ms),
      noopUpMs: round(runs.noopUp.ms),
      refreshMs: round(runs.refresh.ms),
      destroyMs: round(runs.destroy.ms),
      msPerResource: round(runs.up.ms / resources, 1),
      msPerResourceByCommand: perCommand((c) => round(runs[c].ms / resources, 1)),
      providerPeakRssMb: Math.max(...COMMANDS.map((c) => runs[c].providerPeakRssMb ?? 0)),
      providerPeakRssMbByCommand: perCommand((c) => runs[c].providerPeakRssMb ?? 0),
      registrationMs: round(registration.lastMs),
      registeredResources: registration.count,
      maxLoginsPerInstance: perCommand((c) => Math.max(...runs[c].traffic.logins)),
      requestsPerOperation: {
        create: round(sum(runs.up.traffic.rpcs) / dyn, 2),
        read: round(sum(runs.refresh.traffic.rpcs) / dyn, 2),
        delete: round(sum(runs.destroy.traffic.rpcs) / dyn, 2),
      },
      stateBytesPerResource: state!.stateBytesPerResource,
      providerBytesPerResource: state!.providerBytesPerResource,
    };
  } finally {
    project.remove();
    rmSync(registrationLog, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Availability group: a whole stack from bare instances to SYNCHRONIZED copies

const AG_DATABASE = "benchsales";

interface AvailabilityGroupResult {
  replicas: number;
  resources: number;
  pairs: Array<{ real: number; baseline: number }>;
  upRatio: number;
  upRatioSpread: { min: number; max: number };
  upMs: { real: number; baseline: number };
  /** From the start of `up` until the primary reports every copy SYNCHRONIZED (polled every 50 ms). */
  msToSynchronized: number;
  msToSynchronizedRuns: number[];
  previewRequests: number;
  /** RPCs per dynamic resource of `up`, `refresh` and `destroy` (the AG resources' polls included). */
  requestsPerResource: { up: number; refresh: number; destroy: number };
  /** Requests that the whole `up` sent, and how many of them went to the group's waits (the rest: one per create). */
  upRequests: number;
  maxLoginsPerInstance: PerCommand<number>;
}

/** Three replicas, one database, readable secondaries: real vs baseline `up` alternately, and the time to SYNCHRONIZED. */
async function availabilityGroupSection(instances: EmulatorInstance[], pairs: number, packageVersion: string): Promise<AvailabilityGroupResult> {
  const used = instances.slice(0, 3);
  const sa = new SaSql(SA_PASSWORD);
  const [primary, ...secondaries] = used as [EmulatorInstance, ...EmulatorInstance[]];
  await sa.run(primary, `CREATE DATABASE ${AG_DATABASE}`);
  await sa.run(primary, `ALTER DATABASE ${AG_DATABASE} SET RECOVERY FULL`);
  await sa.run(primary, `CREATE TABLE ${AG_DATABASE}.dbo.orders (id int NOT NULL PRIMARY KEY, item nvarchar(100) NOT NULL)`);
  await sa.run(primary, `INSERT INTO ${AG_DATABASE}.dbo.orders (id, item) VALUES (1, N'bench')`);
  await sa.run(primary, `BACKUP DATABASE ${AG_DATABASE} TO DISK = N'${AG_DATABASE}-full.bak'`);
  const topology = { ...agTopology(used), availabilityGroup: { name: "benchag", databases: [AG_DATABASE], readableSecondaries: "ALL" } };
  const ca = primary.tlsCertificate;
  const real = await newProject("ag-real", "real", ca, topology);
  const baseline = await newProject("ag-baseline", "baseline", ca, topology);
  const synchronized = async () => {
    const rows = await sa.rows(primary, "SELECT synchronization_state_desc AS s FROM sys.dm_hadr_database_replica_states").catch(() => []);
    return rows.length === used.length && rows.every((r) => r.s === "SYNCHRONIZED");
  };
  const result: AvailabilityGroupResult = {
    replicas: used.length,
    resources: 0,
    pairs: [],
    upRatio: 0,
    upRatioSpread: { min: 0, max: 0 },
    upMs: { real: 0, baseline: 0 },
    msToSynchronized: 0,
    msToSynchronizedRuns: [],
    previewRequests: 0,
    requestsPerResource: { up: 0, refresh: 0, destroy: 0 },
    upRequests: 0,
    maxLoginsPerInstance: { up: 0, noopUp: 0, refresh: 0, destroy: 0 },
  };
  try {
    result.previewRequests = sum((await preview(real, used)).traffic.requests);
    await preview(baseline, used);
    for (let p = 0; p < pairs; p++) {
      const times = { real: 0, baseline: 0 };
      for (const project of p % 2 === 0 ? [real, baseline] : [baseline, real]) {
        if (project === baseline) {
          times.baseline = (await run(baseline, "up", used)).ms;
          await run(baseline, "destroy", used);
          continue;
        }
        // Time to SYNCHRONIZED: polled beside the CLI, from the moment the command starts.
        const started = Date.now();
        let syncedAt: number | undefined;
        let polling = true;
        const poller = (async () => {
          for (let n = 0; n < 20_000 && polling && syncedAt === undefined; n++) {
            if (await synchronized()) syncedAt = Date.now();
            else await new Promise((r) => setTimeout(r, 50));
          }
        })();
        const runs = {} as PerCommand<CommandRun>;
        try {
          runs.up = await run(real, "up", used);
        } finally {
          polling = false;
          await poller;
        }
        times.real = runs.up.ms;
        if (syncedAt !== undefined) result.msToSynchronizedRuns.push(syncedAt - started);
        runs.noopUp = await run(real, "noopUp", used);
        runs.refresh = await run(real, "refresh", used);
        if (p === 0) {
          const state = await stateFigures(real, packageVersion);
          result.resources = state.resources;
          const dyn = state.dynamicResources;
          result.requestsPerResource = {
            up: round(sum(runs.up.traffic.rpcs) / dyn, 2),
            refresh: round(sum(runs.refresh.traffic.rpcs) / dyn, 2),
            destroy: 0,
          };
          result.upRequests = sum(runs.up.traffic.rpcs);
          result.previewRequests = Math.max(result.previewRequests, sum((await preview(real, used)).traffic.requests));
        }
        runs.destroy = await run(real, "destroy", used);
        if (p === 0) result.requestsPerResource.destroy = round(sum(runs.destroy.traffic.rpcs) / Math.max(1, result.resources - 3), 2);
        for (const c of COMMANDS) result.maxLoginsPerInstance[c] = Math.max(result.maxLoginsPerInstance[c], ...runs[c].traffic.logins);
        // Destroy leaves the secondaries' copies RESTORING (never dropped by the package); the
        // benchmark drops them itself so that the next up seeds again from scratch.
        for (const s of secondaries) await sa.run(s, `DROP DATABASE IF EXISTS ${AG_DATABASE}`);
      }
      result.pairs.push(times);
      log(`availability group pair ${p + 1}/${pairs}: up real ${round(times.real)} ms, baseline ${round(times.baseline)} ms (${round(times.real / times.baseline, 2)}×), SYNCHRONIZED after ${result.msToSynchronizedRuns.at(-1) ?? "?"} ms`);
    }
  } finally {
    real.remove();
    baseline.remove();
    await sa.run(primary, `DROP DATABASE IF EXISTS ${AG_DATABASE}`).catch(() => undefined);
    await sa.close();
  }
  const ratios = result.pairs.map((p) => p.real / p.baseline);
  result.upRatio = round(median(ratios), 3);
  result.upRatioSpread = { min: round(Math.min(...ratios), 3), max: round(Math.max(...ratios), 3) };
  result.upMs = { real: round(median(result.pairs.map((p) => p.real))), baseline: round(median(result.pairs.map((p) => p.baseline))) };
  result.msToSynchronized = round(median(result.msToSynchronizedRuns));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Machine and output

function machine() {
  const cpus = os.cpus();
  const version = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8", env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" } }).trim();
    } catch {
      return "unknown";
    }
  };
  const pkg = (p: string) => (JSON.parse(readFileSync(p, "utf8")) as { version: string }).version;
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cpuCount: cpus.length,
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    pulumiCli: version("pulumi", ["version"]),
    pulumiSdk: pkg(require.resolve("@pulumi/pulumi/package.json")),
    mssql: pkg(require.resolve("mssql/package.json")),
    package: pkg(path.join(ROOT, "package.json")),
    commit: version("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]),
  };
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

const mark = (ok: boolean) => (ok ? "ok" : "MISS");

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const packageVersion = (JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
  log(`${options.quick ? "quick" : "full"} run: ${options.pairs} pair(s), scale ${options.scale.join(", ")} replicas`);

  let operations: OperationsResult | undefined;
  if (options.ops) {
    log("requests per operation (providers over TDS)");
    operations = await measureOperations();
  }

  const needed = Math.max(3, ...options.scale);
  const instances: EmulatorInstance[] = [];
  let floor: FloorResult;
  let update: Awaited<ReturnType<typeof updateSection>> | undefined;
  let availabilityGroup: AvailabilityGroupResult | undefined;
  const scale: ScalePoint[] = [];
  try {
    for (let i = 0; i < needed; i++) instances.push(await startEmulator({ saPassword: SA_PASSWORD, name: `BENCH${i + 1}` }));
    log("engine floor: partners + witness, real vs baseline, alternating");
    floor = await floorSection(instances.slice(0, 3), options.pairs, packageVersion);
    if (options.update) {
      log("in-place update through the engine");
      update = await updateSection(instances.slice(0, 3));
    }
    if (options.ag) {
      log("availability group: 3 replicas, 1 database, real vs baseline up, time to SYNCHRONIZED");
      availabilityGroup = await availabilityGroupSection(instances, options.pairs, packageVersion);
    }
    for (const replicas of options.scale) {
      const point = await scalePoint(instances, replicas, packageVersion);
      if (options.scaleBaseline) point.baseline = await scaleBaseline(instances, replicas);
      scale.push(point);
    }
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
    rmSync(WORK_DIR, { recursive: true, force: true });
  }

  const dyn = floor.state?.dynamicResources ?? 1;
  const engineOps: EngineOps = {
    createAvg: round(floor.rpcsPerCommand.up / dyn, 2),
    readAvg: round(floor.rpcsPerCommand.refresh / dyn, 2),
    deleteAvg: round(floor.rpcsPerCommand.destroy / dyn, 2),
    ...(update && update.updates > 0 ? { updateAvg: round(update.rpcs / update.updates, 2), updateLoginsPerInstance: update.loginsPerInstance } : {}),
  };
  const maxLogins = (c: Command) => Math.max(...floor.loginsPerInstance[c], ...scale.map((s) => s.maxLoginsPerInstance[c]));
  const maxLoginsPerInstance: PerCommand<number> = { up: maxLogins("up"), noopUp: maxLogins("noopUp"), refresh: maxLogins("refresh"), destroy: maxLogins("destroy") };
  const first = scale[0];
  const last = scale[scale.length - 1];
  const growth = first && last ? round(last.msPerResource / first.msPerResource, 2) : undefined;
  // Cost of one more resource between consecutive points (fixed per-command costs cancel out).
  const marginal = scale.slice(1).map((s, i) => ({
    from: scale[i]!.replicas,
    to: s.replicas,
    upMsPerResource: round((s.upMs - scale[i]!.upMs) / (s.resources - scale[i]!.resources), 1),
    ...(s.baseline && scale[i]!.baseline ? { baselineUpMsPerResource: round((s.baseline.up - scale[i]!.baseline!.up) / (s.resources - scale[i]!.resources), 1) } : {}),
  }));

  const results = {
    generatedAt: new Date().toISOString(),
    mode: options.quick ? "quick" : "full",
    durationS: round((Date.now() - started) / 1000),
    machine: machine(),
    poolSize: POOL_SIZE,
    previewRequests: floor.previewRequests,
    previewLogins: floor.previewLogins,
    previews: floor.previews,
    maxRequestsPerOperation: operations
      ? { create: operations.max.create, read: operations.max.read, update: operations.max.update, delete: operations.max.delete }
      : undefined,
    requestsPerCheckOrDiff: operations ? Math.max(operations.max.check, operations.max.diff) : undefined,
    operations: operations?.costs.filter((c) => c.op !== "check" && c.op !== "diff"),
    engineRequestsPerOperation: engineOps,
    maxLoginsPerInstance,
    loginsPerInstance: floor.loginsPerInstance,
    floorRatio: floor.ratio,
    floorRatioSpread: floor.spread,
    floorPairs: floor.pairs.length,
    floorMedianMs: { real: floor.real, baseline: floor.baseline },
    floorRuns: floor.pairs.map((p) => Object.fromEntries(COMMANDS.map((c) => [c, { real: round(p[c].real), baseline: round(p[c].baseline) }]))),
    floorResources: floor.state?.resources,
    floorRequestsPerCommand: floor.requestsPerCommand,
    floorProviderPeakRssMb: floor.providerPeakRssMb,
    floorRegistrationMs: floor.registrationMs,
    scale,
    scaleGrowth: growth,
    scaleMarginal: marginal,
    providerBytesPerResource: floor.state?.providerBytesPerResource,
    providerBytesMax: floor.state?.providerBytesMax,
    distinctProviderTexts: floor.state?.distinctProviders,
    providerMentionsVersion: floor.state?.providerMentionsVersion,
    providerIsThinProvider: floor.state?.providerIsThinProvider,
    stateBytesPerResource: floor.state?.stateBytesPerResource,
    baselineStateBytesPerResource: floor.baselineState?.stateBytesPerResource,
    baselineProviderBytesPerResource: floor.baselineState?.providerBytesPerResource,
    update,
    availabilityGroup,
  };
  writeFileSync(options.out, `${JSON.stringify(results, null, 2)}\n`);

  const out: string[] = [];
  out.push(`pulumi-mssql-mirroring benchmarks (${results.mode}, ${results.durationS} s) — ${results.machine.cpuCount}× ${results.machine.cpuModel}, ${results.machine.memoryGb} GB, node ${results.machine.node}, pulumi ${results.machine.pulumiCli}`);
  out.push("");
  out.push("Round trips (emulator counters)");
  const mr = results.maxRequestsPerOperation;
  out.push(
    table(
      ["figure", "value", "target", ""],
      [
        ["preview requests (new + unchanged stack)", results.previewRequests, "0", mark(results.previewRequests === 0)],
        ...(mr
          ? ([
              ["max requests per read", mr.read, "≤ 1", mark(mr.read <= 1)],
              ["max requests per create", mr.create, "≤ 2", mark(mr.create <= 2)],
              ["max requests per update", mr.update, "≤ 2", mark(mr.update <= 2)],
              ["max requests per delete", mr.delete, "≤ 2", mark(mr.delete <= 2)],
              ["requests per check / diff", results.requestsPerCheckOrDiff ?? 0, "0", mark(results.requestsPerCheckOrDiff === 0)],
            ] as Array<Array<string | number>>)
          : []),
        ...COMMANDS.map((c) => [`max logins per instance, ${c}`, maxLoginsPerInstance[c], c === "noopUp" ? "≤ 1" : `≤ ${POOL_SIZE} (pool)`, mark(maxLoginsPerInstance[c] <= (c === "noopUp" ? 1 : POOL_SIZE))]),
        ["engine: requests per create (avg)", engineOps.createAvg, "", ""],
        ["engine: requests per read (avg)", engineOps.readAvg, "", ""],
        ["engine: requests per delete (avg)", engineOps.deleteAvg, "", ""],
        ...(engineOps.updateAvg !== undefined ? [["engine: requests per update (avg)", engineOps.updateAvg, "", ""]] : []),
      ],
    ),
  );
  if (operations) {
    out.push("");
    out.push("Requests per operation by resource kind (providers over TDS, pool connected; update = a change SQL Server must apply)");
    const kinds = [...new Set(operations.costs.map((c) => c.kind))];
    const cell = (kind: string, op: string) => {
      const c = operations!.costs.filter((x) => x.kind === kind && x.op === op && x.change !== "connection only");
      return c.length === 0 ? "-" : String(Math.max(...c.map((x) => x.rpcs)));
    };
    out.push(table(["kind", "create", "read", "update", "delete"], kinds.map((k) => [k, cell(k, "create"), cell(k, "read"), cell(k, "update"), cell(k, "delete")])));
  }
  out.push("");
  out.push(`Engine floor: partners + witness (${results.floorResources} resources), real ÷ baseline, median of ${floor.pairs.length} alternating pair(s)`);
  out.push(
    table(
      ["command", "real ms", "baseline ms", "ratio", "spread", "target", ""],
      COMMANDS.map((c) => {
        const target = c === "up" ? 1.3 : c === "destroy" ? undefined : 1.2;
        return [c, floor.real[c], floor.baseline[c], floor.ratio[c], `${floor.spread[c].min}–${floor.spread[c].max}`, target ? `≤ ${target}` : "", target ? mark(floor.ratio[c] <= target) : ""];
      }),
    ),
  );
  out.push(
    `provider peak RSS: real ${floor.providerPeakRssMb.real} MB, baseline ${floor.providerPeakRssMb.baseline} MB; ` +
      `program registration (start → last resource declared): real ${floor.registrationMs?.real} ms, baseline ${floor.registrationMs?.baseline} ms`,
  );
  if (availabilityGroup) {
    const g = availabilityGroup;
    out.push("");
    out.push(`Availability group: ${g.replicas} replicas, 1 database, bare instances to SYNCHRONIZED (${g.resources} resources), median of ${g.pairs.length} alternating pair(s)`);
    out.push(
      table(
        ["figure", "value", "target", ""],
        [
          ["preview requests (new + unchanged stack)", g.previewRequests, "0", mark(g.previewRequests === 0)],
          ["up: real ms / baseline ms", `${g.upMs.real} / ${g.upMs.baseline}`, "", ""],
          ["engine-floor ratio, up", `${g.upRatio} (${g.upRatioSpread.min}–${g.upRatioSpread.max})`, "≤ 1.3", mark(g.upRatio <= 1.3)],
          ["up start → every copy SYNCHRONIZED, ms", `${g.msToSynchronized} (${g.msToSynchronizedRuns.join(", ")})`, "", ""],
          ["requests per resource: up / refresh / destroy", `${g.requestsPerResource.up} / ${g.requestsPerResource.refresh} / ${g.requestsPerResource.destroy}`, "", ""],
          ["requests of the whole up", g.upRequests, "", ""],
          ...COMMANDS.map((c) => [`max logins per instance, ${c}`, g.maxLoginsPerInstance[c], c === "noopUp" ? "≤ 1" : `≤ ${POOL_SIZE} (pool)`, mark(g.maxLoginsPerInstance[c] <= (c === "noopUp" ? 1 : POOL_SIZE))]),
        ],
      ),
    );
  }
  out.push("");
  out.push("Scale: availability-group mesh");
  out.push(
    table(
      ["replicas", "resources", "up ms", "no-op ms", "refresh ms", "destroy ms", "ms/resource (up)", "provider peak MB", "registration ms", "state B/res"],
      scale.map((s) => [s.replicas, s.resources, s.upMs, s.noopUpMs, s.refreshMs, s.destroyMs, s.msPerResource, s.providerPeakRssMb, s.registrationMs, s.stateBytesPerResource]),
    ),
  );
  if (scale.some((s) => s.baseline)) {
    out.push("baseline (same graph, providers that do nothing):");
    out.push(
      table(
        ["replicas", "up ms", "no-op ms", "refresh ms", "destroy ms", "ms/resource (up)", "up ratio"],
        scale.filter((s) => s.baseline).map((s) => [s.replicas, s.baseline!.up, s.baseline!.noopUp, s.baseline!.refresh, s.baseline!.destroy, s.baseline!.msPerResource, round(s.upMs / s.baseline!.up, 2)]),
      ),
    );
  }
  if (growth !== undefined && scale.length > 1) out.push(`time per resource ${last!.replicas} vs ${first!.replicas} replicas: ${growth}× (target ≤ 1.5: ${mark(growth <= 1.5)})`);
  for (const m of marginal) out.push(`marginal up time per resource ${m.from}→${m.to} replicas: ${m.upMsPerResource} ms${m.baselineUpMsPerResource !== undefined ? ` (baseline ${m.baselineUpMsPerResource} ms)` : ""}`);
  out.push("");
  out.push("Serialized provider");
  out.push(
    table(
      ["figure", "value", "target", ""],
      [
        ["__provider bytes per resource", results.providerBytesPerResource ?? "-", "≤ 4096", mark((results.providerBytesPerResource ?? Infinity) <= 4096)],
        ["distinct __provider texts", results.distinctProviderTexts ?? "-", "one per kind", ""],
        ["__provider mentions a version", String(results.providerMentionsVersion), "false", mark(results.providerMentionsVersion === false)],
        ["__provider is exactly the serialized thinProvider(kind)", String(results.providerIsThinProvider), "true", mark(results.providerIsThinProvider === true)],
        ["state bytes per resource", results.stateBytesPerResource ?? "-", "", ""],
      ],
    ),
  );
  out.push("");
  out.push(`written ${path.relative(process.cwd(), options.out)}`);
  process.stdout.write(`${out.join("\n")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});

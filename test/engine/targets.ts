/**
 * The SQL Server instances an engine test runs against: emulated ones (the default), or real ones
 * named by MSSQL_REAL_SERVERS. Tests talk to both the same way; checks that only the emulator can
 * answer (request counters, its handshake check, full catalog snapshots) fall back to portable
 * T-SQL equivalents on real servers.
 */
import { existsSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import type { LocalWorkspace } from "@pulumi/pulumi/automation";
import { checkHandshake, type EmulatorInstance, type EmulatorOptions } from "../../emulator";
import type { TestProject } from "./pulumiProject";
import { catalogSnapshot, query, realServers, trustByCatalog, type SqlTarget } from "../real/sqlTrust";
import { SA_PASSWORD, startInstances } from "./emulators";

/** One instance under test. */
export interface Target {
  /** How the tests and the provider log in to it. */
  readonly sql: SqlTarget;
  /** Host its peers reach its mirroring endpoint at: 127.0.0.1 for emulators, `MSSQL_REAL_SERVERS`' endpointHost for real servers. */
  readonly endpointHost: string;
  /**
   * Its endpoint's port on real servers (`MSSQL_REAL_SERVERS`' endpointPort, default 5022).
   * Undefined for emulators: tests reserve theirs (`reservePorts`), as emulated endpoints listen beside other test files'.
   */
  readonly endpointPort?: number;
  /** Present for emulated instances. */
  readonly emulator?: EmulatorInstance;
}

/** A set of instances and how to release them. */
export interface TargetSet {
  readonly kind: "emulator" | "real";
  readonly targets: Target[];
  stop(): Promise<void>;
}

/** Which kinds of target the engine tests run on: always the emulator, and real servers when named. */
export function targetKinds(minimum: number): Array<"emulator" | "real"> {
  const real = realServers();
  if (real.length === 0) {
    console.warn("real SQL Server: skipped (set MSSQL_REAL_SERVERS=host:port[@endpointHost:endpointPort],… and MSSQL_REAL_PASSWORD to run the engine tests against real instances)");
    return ["emulator"];
  }
  if (real.length < minimum) {
    console.warn(`real SQL Server: skipped (MSSQL_REAL_SERVERS names ${real.length} instances, ${minimum} are needed)`);
    return ["emulator"];
  }
  return ["emulator", "real"];
}

/** Starts `count` emulated instances (with `emulatorOptions`, e.g. a clock), or takes the first `count` real ones. */
export async function acquire(kind: "emulator" | "real", count: number, emulatorOptions: Omit<EmulatorOptions, "saPassword"> = {}): Promise<TargetSet> {
  if (kind === "real") {
    const servers = realServers();
    if (servers.length < count) throw new Error(`MSSQL_REAL_SERVERS names ${servers.length} instances; this test needs ${count}`);
    return {
      kind,
      targets: servers.slice(0, count).map(({ endpointHost, endpointPort, ...sql }) => ({ sql, endpointHost, endpointPort })),
      stop: async () => undefined,
    };
  }
  const instances = await startInstances(count, emulatorOptions);
  return {
    kind,
    targets: instances.map((emulator) => ({
      emulator,
      endpointHost: "127.0.0.1",
      sql: { server: "127.0.0.1", port: emulator.port, user: "sa", password: SA_PASSWORD, ca: emulator.tlsCertificate },
    })),
    stop: async () => {
      await Promise.all(instances.map((i) => i.stop()));
    },
  };
}

/** Runs T-SQL as the admin login and returns the first recordset. */
export async function tsqlOn(t: Target, text: string): Promise<Array<Record<string, unknown>>> {
  return (await query(t.sql, text))[0] ?? [];
}

/** Everything comparable about a target's catalog: the emulator's full snapshot, else the portable one. */
export async function snapshot(t: Target): Promise<unknown> {
  return t.emulator ? t.emulator.catalog() : catalogSnapshot(t.sql);
}

/** "ok", or why `to` refuses `from`: a real connection between the emulators' endpoints, else the catalog-level check. */
export async function handshake(from: Target, to: Target, roles: { from: "partner" | "witness" | "replica"; to: "partner" | "witness" | "replica" }): Promise<string> {
  if (from.emulator && to.emulator) {
    const r = await checkHandshake(
      from.emulator,
      to.emulator,
      roles.from === "replica" ? { role: "replica" } : { role: roles.from, peerRole: roles.to === "witness" ? "witness" : "partner" },
    );
    return r.ok ? "ok" : `${r.error.number} ${r.error.message}`;
  }
  return trustByCatalog(from.sql, to.sql, roles);
}

/** Requests the emulated instances received (undefined on real servers, which have no such counter). */
export function requestCount(set: TargetSet): { requests: number; logins: number } | undefined {
  if (set.kind !== "emulator") return undefined;
  return set.targets.reduce(
    (t, { emulator: i }) => ({ requests: t.requests + i!.counters.requests, logins: t.logins + i!.counters.logins + i!.counters.failedLogins }),
    { requests: 0, logins: 0 },
  );
}

/**
 * Runs `work` while `poll` (e.g. every pair's handshake, each "… ok" or a refusal) is called over
 * and over until it ends (bounded: at most 100,000 rounds, 5 ms apart). Returns what `work` gave,
 * the distinct results that did not end in "ok", and how many rounds ran.
 */
export async function whilePolling<T>(poll: () => Promise<string[]>, work: () => Promise<T>): Promise<{ value: T; refusals: string[]; polls: number }> {
  const refusals = new Set<string>();
  let polls = 0;
  let done = false;
  const watcher = (async () => {
    for (let n = 0; n < 100_000 && !done; n++) {
      for (const h of await poll()) if (!h.endsWith(": ok")) refusals.add(h);
      polls++;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const value = await work().finally(() => (done = true));
  await watcher;
  return { value, refusals: [...refusals], polls };
}

/**
 * When `MSSQL_ENGINE_NODE_MODULES` names a node_modules folder (the real-server workflow's scratch
 * project, where the package was installed from `npm pack`), the project's program and its dynamic
 * providers load `pulumi-mssql-mirroring` and `@pulumi/pulumi` from there, not from the checkout:
 * what runs is what would be published. The project gets a package.json of its own (otherwise its
 * nearest one is the checkout's, and Node resolves the package's own name to the checkout itself)
 * and a `node_modules` link to that folder (found before the checkout's, above it), NODE_PATH names
 * it too, and resolution from the project is checked. Returns the folder, or undefined
 * when unset.
 */
export function usePackedPackage(project: TestProject): string | undefined {
  const modules = process.env.MSSQL_ENGINE_NODE_MODULES;
  if (!modules) return undefined;
  for (const pkg of ["pulumi-mssql-mirroring", "@pulumi/pulumi"]) {
    if (!existsSync(path.join(modules, pkg, "package.json"))) throw new Error(`MSSQL_ENGINE_NODE_MODULES (${modules}) holds no ${pkg}: install the packed package there first`);
  }
  writeFileSync(path.join(project.dir, "package.json"), JSON.stringify({ name: "engine-test-project", private: true }, null, 2) + "\n");
  symlinkSync(path.resolve(modules), path.join(project.dir, "node_modules"), "dir");
  (project.stack.workspace as LocalWorkspace).envVars.NODE_PATH = path.resolve(modules);
  const real = realpathSync(path.resolve(modules));
  for (const pkg of ["pulumi-mssql-mirroring", "@pulumi/pulumi"]) {
    const resolved = realpathSync(createRequire(path.join(project.dir, "Pulumi.yaml")).resolve(pkg));
    if (!resolved.startsWith(real + path.sep)) throw new Error(`${pkg} resolves to ${resolved} from the test project, not from MSSQL_ENGINE_NODE_MODULES (${modules})`);
  }
  return modules;
}

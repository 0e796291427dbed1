/**
 * Waits, bounded, until every real instance named by `MSSQL_REAL_SERVERS` accepts a login and is
 * fit for availability groups, and fails loudly otherwise: a container that never came up, HADR
 * left off (`MSSQL_ENABLE_HADR=1` missing, `SERVERPROPERTY('IsHadrEnabled')` = 0), or an
 * `@@SERVERNAME` that is not the host the peers reach it at (a container started without
 * `--hostname`, whose name is a random id).
 *
 * Run as a script by the real-server workflow before the tests:
 *
 *     npx ts-node --transpile-only test/real/readiness.ts
 *
 * `MSSQL_REAL_WAIT_SECONDS` (default 180) bounds the wait; `MSSQL_REAL_EXPECT_SERVERNAME=endpointHost`
 * also requires each `@@SERVERNAME` to equal the entry's endpointHost (case-insensitive).
 */
import { query, realServers, type RealTarget } from "./sqlTrust";

/** What an instance says about itself once it accepts a login. */
export interface InstanceFacts {
  /** `@@SERVERNAME`. */
  serverName: string;
  /** `SERVERPROPERTY('IsHadrEnabled')`: 1 when the instance may host availability replicas. */
  hadrEnabled: number;
  /** `SERVERPROPERTY('ProductVersion')`, for the log. */
  version: string;
}

/** Asks an instance about itself (one login, one batch). */
export async function probe(t: RealTarget): Promise<InstanceFacts> {
  const [[row]] = (await query(
    t,
    "SELECT @@SERVERNAME AS server_name, CAST(SERVERPROPERTY('IsHadrEnabled') AS int) AS hadr, CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS version",
  )) as [[Record<string, unknown>]];
  return { serverName: String(row.server_name), hadrEnabled: Number(row.hadr ?? 0), version: String(row.version) };
}

/** Options of {@link waitForServers}. */
export interface WaitOptions {
  /** Attempts per instance before giving up. */
  attempts: number;
  /** Pause between attempts, in milliseconds. */
  intervalMs: number;
  /** Require `@@SERVERNAME` to equal the entry's endpointHost. Default false. */
  expectServerNameIsEndpointHost?: boolean;
  /** How to ask an instance (default {@link probe}); tests pass a scripted one. */
  probe?: (t: RealTarget) => Promise<InstanceFacts>;
  /** How to pause (default a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** `host:port` of an instance, as the messages name it. */
const label = (t: RealTarget) => `${t.server}:${t.port}`;

/**
 * Resolves with each instance's facts once every one answers and passes the checks; rejects naming
 * every instance that did not, with the last error seen or the check that failed and its fix.
 */
export async function waitForServers(targets: RealTarget[], options: WaitOptions): Promise<InstanceFacts[]> {
  if (targets.length === 0) throw new Error("MSSQL_REAL_SERVERS names no instance: nothing to wait for");
  const ask = options.probe ?? probe;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const results = await Promise.all(
    targets.map(async (t): Promise<InstanceFacts | Error> => {
      let last = "no attempt made";
      for (let n = 1; n <= options.attempts; n++) {
        try {
          return await ask(t);
        } catch (e) {
          last = e instanceof Error ? e.message : String(e);
        }
        if (n < options.attempts) await sleep(options.intervalMs);
      }
      return new Error(`${label(t)} did not accept a login after ${options.attempts} attempt${options.attempts === 1 ? "" : "s"}: ${last}`);
    }),
  );
  const problems: string[] = [];
  results.forEach((r, i) => {
    const t = targets[i]!;
    if (r instanceof Error) return void problems.push(r.message);
    if (r.hadrEnabled !== 1) problems.push(`${label(t)} has SERVERPROPERTY('IsHadrEnabled') = ${r.hadrEnabled}: start it with MSSQL_ENABLE_HADR=1 (or mssql-conf set hadr.hadrenabled 1) and restart it`);
    if (options.expectServerNameIsEndpointHost && r.serverName.toLowerCase() !== t.endpointHost.toLowerCase()) {
      problems.push(`${label(t)} has @@SERVERNAME ${r.serverName}, not its endpointHost ${t.endpointHost}: start the container with --hostname ${t.endpointHost}`);
    }
  });
  if (problems.length) throw new Error(`real SQL Server instances not ready:\n- ${problems.join("\n- ")}`);
  return results as InstanceFacts[];
}

/** The script: reads the environment, waits, prints one line per instance, exits 1 on failure. */
async function main(): Promise<void> {
  const seconds = Number(process.env.MSSQL_REAL_WAIT_SECONDS ?? 180);
  const intervalMs = 3000;
  const targets = realServers();
  const facts = await waitForServers(targets, {
    attempts: Math.max(1, Math.ceil((seconds * 1000) / intervalMs)),
    intervalMs,
    expectServerNameIsEndpointHost: process.env.MSSQL_REAL_EXPECT_SERVERNAME === "endpointHost",
  });
  facts.forEach((f, i) => console.log(`${label(targets[i]!)}: @@SERVERNAME ${f.serverName}, IsHadrEnabled ${f.hadrEnabled}, version ${f.version}`));
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}

/**
 * The real-server workflow's wait step: bounded, loud, and it refuses instances that could never
 * host the availability group (HADR off, a random @@SERVERNAME).
 */
import { describe, expect, it } from "vitest";
import { waitForServers, type InstanceFacts } from "./readiness";
import type { RealTarget } from "./sqlTrust";

const target = (n: number): RealTarget => ({ server: "localhost", port: 14330 + n, endpointHost: `sql${n}`, endpointPort: 5022, user: "sa", password: "pw" });
const facts = (serverName: string, hadrEnabled = 1): InstanceFacts => ({ serverName, hadrEnabled, version: "16.0.4135.4" });

/** A probe that fails `failures` times per instance, then answers `answer(t)`; counts every call. */
function scripted(failures: number, answer: (t: RealTarget) => InstanceFacts) {
  const calls = new Map<number, number>();
  return {
    calls,
    probe: async (t: RealTarget) => {
      const n = (calls.get(t.port) ?? 0) + 1;
      calls.set(t.port, n);
      if (n <= failures) throw new Error("Failed to connect to localhost:" + t.port + " - Could not connect (sequence)");
      return answer(t);
    },
  };
}
const noSleep = { sleep: async () => undefined, intervalMs: 1 };

describe("waitForServers", () => {
  it("retries each instance until it answers, then returns what each said", async () => {
    const p = scripted(3, (t) => facts(t.endpointHost.toUpperCase()));
    const result = await waitForServers([target(1), target(2)], { ...noSleep, attempts: 5, probe: p.probe, expectServerNameIsEndpointHost: true });
    expect(result).toEqual([facts("SQL1"), facts("SQL2")]);
    expect([...p.calls.values()]).toEqual([4, 4]);
  });

  it("gives up after the bound, naming the instance and the last error", async () => {
    const p = scripted(10, (t) => facts(t.endpointHost));
    await expect(waitForServers([target(1)], { ...noSleep, attempts: 4, probe: p.probe })).rejects.toThrow(
      "real SQL Server instances not ready:\n- localhost:14331 did not accept a login after 4 attempts: Failed to connect to localhost:14331 - Could not connect (sequence)",
    );
    expect(p.calls.get(14331)).toBe(4);
  });

  it("refuses HADR left off and a @@SERVERNAME that is not the endpoint host, every problem at once", async () => {
    const p = scripted(0, (t) => (t.port === 14331 ? facts("sql1", 0) : facts("4f1c0e2a9b7d")));
    await expect(waitForServers([target(1), target(2)], { ...noSleep, attempts: 1, probe: p.probe, expectServerNameIsEndpointHost: true })).rejects.toThrow(
      "real SQL Server instances not ready:\n" +
        "- localhost:14331 has SERVERPROPERTY('IsHadrEnabled') = 0: start it with MSSQL_ENABLE_HADR=1 (or mssql-conf set hadr.hadrenabled 1) and restart it\n" +
        "- localhost:14332 has @@SERVERNAME 4f1c0e2a9b7d, not its endpointHost sql2: start the container with --hostname sql2",
    );
  });

  it("does not compare names unless asked (an endpoint host may be an address)", async () => {
    const p = scripted(0, () => facts("SQLPROD01"));
    expect(await waitForServers([target(1)], { ...noSleep, attempts: 1, probe: p.probe })).toEqual([facts("SQLPROD01")]);
  });

  it("refuses to wait for nothing", async () => {
    await expect(waitForServers([], { ...noSleep, attempts: 1 })).rejects.toThrow("MSSQL_REAL_SERVERS names no instance: nothing to wait for");
  });
});

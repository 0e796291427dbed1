/**
 * The real-server workflow cannot run here (no Docker, no SQL Server): what can be checked is that
 * it parses and that it holds the steps that make a run meaningful — containers that know their
 * names and run HADR, MSSQL_REAL_SERVERS that matches them, the official CLI, the packed package,
 * a wait that fails, and the availability-group test.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseRealServers } from "./servers";

const ROOT = path.resolve(__dirname, "..", "..");
// js-yaml comes with @pulumi/pulumi; the workflow is plain YAML 1.2 it reads exactly.
const yaml = require("js-yaml") as { load(text: string): unknown };

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  if?: string;
  "timeout-minutes"?: number;
}
interface Workflow {
  env: Record<string, string>;
  jobs: Record<string, { "timeout-minutes": number; steps: Step[] }>;
}

const text = readFileSync(path.join(ROOT, ".github/workflows/real-sqlserver.yml"), "utf8");
const workflow = yaml.load(text) as Workflow;
const [job] = Object.values(workflow.jobs);
const steps = job!.steps;
const step = (name: RegExp) => {
  const found = steps.filter((s) => name.test(s.name ?? s.uses ?? ""));
  expect(found, `one step matching ${name}`).toHaveLength(1);
  return found[0]!;
};
const index = (s: Step) => steps.indexOf(s);

describe(".github/workflows/real-sqlserver.yml", () => {
  it("parses, with one job bounded in time and every long step bounded too", () => {
    expect(Object.keys(workflow.jobs)).toEqual(["availability-group"]);
    expect(job!["timeout-minutes"]).toBeGreaterThan(0);
    for (const s of [step(/^Start four/), step(/^Install dependencies/), step(/npm pack/), step(/^Wait/), step(/engine test/)]) expect(s["timeout-minutes"], s.name).toBeGreaterThan(0);
  });

  it("fails at once when the image variable is empty", () => {
    const s = step(/^Require the SQL Server image/);
    expect(workflow.env.IMAGE).toBe("${{ vars.MSSQL_SERVER_IMAGE }}");
    expect(s.run).toMatch(/if \[ -z "\$IMAGE" \]; then[\s\S]*exit 1/);
    expect(index(s)).toBe(0);
  });

  it("starts one container per MSSQL_REAL_SERVERS entry, named by --hostname after its endpointHost, HADR on, memory capped, port published on loopback", () => {
    const servers = parseRealServers(workflow.env.MSSQL_REAL_SERVERS);
    expect(servers.map((s) => [s.server, s.port, s.endpointHost, s.endpointPort])).toEqual([1, 2, 3, 4].map((n) => ["localhost", 14330 + n, `sql${n}`, 5022]));
    const run = step(/^Start four/).run!;
    expect(run).toContain("for n in 1 2 3 4; do");
    expect(run).toContain('--name "sql$n" --hostname "sql$n" --network ag-net');
    expect(run).toMatch(/--memory \d+m --memory-swap \d+m/);
    expect(run).toContain("--env MSSQL_ENABLE_HADR=1");
    expect(run).toContain('--publish "127.0.0.1:1433$n:1433"');
    expect(run).toContain('"$IMAGE"');
    // The endpoint port stays inside the network: only the peers reach it.
    expect(run).not.toMatch(/5022/);
  });

  it("uses the official Pulumi CLI at the version scripts/pulumi-cli.sh pins, checks its language host, and never the Go-built CLI or the stand-in host", () => {
    const pinned = /PULUMI_VERSION="\$\{PULUMI_VERSION:-([\d.]+)\}"/.exec(readFileSync(path.join(ROOT, "scripts/pulumi-cli.sh"), "utf8"))![1];
    expect(workflow.env.PULUMI_VERSION).toBe(pinned);
    const install = step(/^Install the official Pulumi CLI/);
    expect(install.uses).toMatch(/^pulumi\/actions@v\d+$/);
    expect(install.with).toEqual({ "pulumi-version": "${{ env.PULUMI_VERSION }}" });
    const check = step(/^Check that the official CLI/).run!;
    expect(check).toContain('test "$(pulumi version)" = "v$PULUMI_VERSION"');
    expect(check).toContain("177ELF");
    expect(check).toContain('test ! -e "$dir/pulumi-language-nodejs.js"');
    expect(text).not.toMatch(/bash scripts\/pulumi-cli\.sh|scripts\/env\.sh|ensure_pulumi|setup-go/);
    expect(steps.some((s) => /pulumi-cli\.sh|env\.sh/.test(s.run ?? ""))).toBe(false);
  });

  it("installs the package from npm pack into a scratch project and points the engine test at it", () => {
    const s = step(/npm pack/);
    expect(s.run).toMatch(/npm pack --silent --pack-destination "\$RUNNER_TEMP"/);
    expect(s.run).toMatch(/npm install --no-audit --no-fund "\$RUNNER_TEMP\/\$tarball"/);
    expect(s.run).toContain('echo "MSSQL_ENGINE_NODE_MODULES=$scratch/node_modules" >> "$GITHUB_ENV"');
    expect(index(s)).toBeGreaterThan(index(step(/^Install dependencies/)));
  });

  it("waits for every instance with the bounded readiness check before testing, then runs the availability-group test", () => {
    const wait = step(/^Wait/);
    expect(wait.run).toBe("npx ts-node --transpile-only test/real/readiness.ts");
    expect(wait.env).toEqual({ MSSQL_REAL_WAIT_SECONDS: expect.stringMatching(/^\d+$/), MSSQL_REAL_EXPECT_SERVERNAME: "endpointHost" });
    const test = step(/engine test/);
    expect(test.run).toBe("npx vitest run test/real test/engine/availability-group.test.ts");
    expect(index(wait)).toBeLessThan(index(test));
    expect(workflow.env.MSSQL_REAL_TRUST_SERVER_CERTIFICATE).toBe("true");
    expect(workflow.env.CI).toBe("true");
  });

  it("keeps no fixed password: one is generated and masked per run", () => {
    const s = step(/^Generate the sa password/);
    expect(s.run).toContain("openssl rand");
    expect(s.run).toContain('echo "::add-mask::$password"');
    expect(text).not.toMatch(/Passw0rd/);
  });

  it("shows the containers' logs on failure and removes them always", () => {
    expect(step(/^Container logs/).if).toBe("failure()");
    expect(step(/^Remove the containers/).if).toBe("always()");
  });
});

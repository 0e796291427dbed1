/**
 * An endpoint owner change through the real Pulumi CLI. SQL Server drops every permission on an
 * endpoint whose ownership is transferred (ALTER AUTHORIZATION, Remarks), so a naive
 * `ALTER AUTHORIZATION` would lock every peer out; the provider puts the permissions back in the
 * same request. Here a two-replica mesh changes both endpoints' owner with `pulumi up`: every
 * handshake is still accepted, sys.server_permissions is exactly as before (a grant the stack never
 * made included), refresh finds no drift, and destroy leaves the catalogs as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance } from "../../emulator";
import { startInstances, tsql } from "../engine/emulators";
import { pulumiAvailable, recorded, type TestProject } from "../engine/pulumiProject";
import { reservePorts } from "../support/ports";
import { casesProject, conn, secret, setCase, stopInstances, type Case } from "./support";

const runEngine = pulumiAvailable();
/** Several CLI commands per test, on a shared two-core machine: far above the usual run time. */
const LONG = 300_000;
const MK = "Marker-OwnerMK-4c2d!";
const OWNER_PASSWORD = "Marker-Owner-Login-9b1e!";

function mesh(ports: number[], owner?: string): Case {
  const replica = (name: string, n: number) => ({
    name,
    connection: conn(n),
    masterKeyPassword: secret("mkPassword"),
    endpoint: { port: ports[n]!, ...(owner !== undefined ? { owner } : {}) },
  });
  return { declare: [{ type: "MirroringTopology", name: "mesh", args: { replicas: [replica("ra", 0), replica("rb", 1)] } }] };
}

describe.runIf(runEngine)("an endpoint owner change through the CLI keeps every permission on the endpoint", () => {
  let instances: EmulatorInstance[];
  let project: TestProject;
  let before: unknown[];
  let ports: number[];
  beforeAll(async () => {
    ports = await reservePorts(2);
    instances = await startInstances(2);
    before = instances.map((i) => i.catalog());
    project = await casesProject(instances, mesh(ports), { mkPassword: { value: MK, secret: true } });
  });
  afterAll(async () => {
    await project?.stack.destroy({ color: "never" }).catch(() => undefined);
    project?.remove();
    await stopInstances(instances);
  });

  const accepted = () => Promise.all([checkHandshake(instances[0]!, instances[1]!), checkHandshake(instances[1]!, instances[0]!)]);
  const permissions = (i: EmulatorInstance) => i.catalog()["sys.server_permissions"]!.map((r) => JSON.stringify(r)).sort();

  it(
    "up with a new owner: every handshake accepted, sys.server_permissions identical, only the owner changed; refresh sees no drift; destroy restores the catalogs",
    async () => {
      const up = await project.stack.up(recorded(project));
      expect(up.summary.result).toBe("succeeded");
      expect(await accepted()).toEqual([{ ok: true }, { ok: true }]);
      for (const i of instances) await tsql(i, `CREATE LOGIN [endpoint_owner] WITH PASSWORD = N'${OWNER_PASSWORD}'`);
      // A grant a DBA made by hand, with its own grantor: it must survive the owner change too.
      await tsql(instances[0]!, `CREATE LOGIN [monitoring] WITH PASSWORD = N'${OWNER_PASSWORD}'; GRANT VIEW DEFINITION ON ENDPOINT::[hadr_endpoint] TO [monitoring] WITH GRANT OPTION`);
      const permissionsBefore = instances.map(permissions);
      const endpointsBefore = instances.map((i) => i.catalog()["sys.endpoints"]);

      await setCase(project, mesh(ports, "endpoint_owner"));
      const preview = await project.stack.preview({ ...recorded(project), diff: true });
      expect(preview.changeSummary).toMatchObject({ update: 2 });
      expect(preview.stdout).toMatch(/\+ owner\s*:\s*"endpoint_owner"/);
      const change = await project.stack.up(recorded(project));
      expect(change.summary.resourceChanges).toMatchObject({ update: 2 });

      expect(await accepted()).toEqual([{ ok: true }, { ok: true }]);
      expect(instances.map(permissions)).toEqual(permissionsBefore);
      const ownerId = (i: EmulatorInstance) => (i.catalog()["sys.server_principals"]!.find((p) => p.name === "endpoint_owner")!.principal_id);
      expect(instances.map((i) => i.catalog()["sys.endpoints"])).toEqual(
        endpointsBefore.map((rows, n) => rows!.map((r) => (Number(r.endpoint_id) >= 65536 ? { ...r, principal_id: ownerId(instances[n]!) } : r))),
      );
      const refresh = await project.stack.refresh(recorded(project));
      expect(Object.keys(refresh.summary.resourceChanges ?? {})).toEqual(["same"]);

      const destroy = await project.stack.destroy(recorded(project));
      expect(destroy.summary.result).toBe("succeeded");
      await tsql(instances[0]!, "DROP LOGIN [monitoring]");
      for (const i of instances) await tsql(i, "DROP LOGIN [endpoint_owner]");
      expect(instances.map((i) => i.catalog())).toEqual(before);
    },
    LONG,
  );
});

/**
 * Database mirroring sessions through the real CLI, at preview, which needs no mirroring support on
 * the servers: bad input is refused with the property and the fix and 0 requests (topology planning
 * and MirroringSession's check); an existing partners topology without `mirroring` previews no
 * change; adding `mirroring` plans only the new sessions, still with 0 requests.
 */
import { describe, expect, it } from "vitest";
import { traffic } from "../engine/emulators";
import { pulumiAvailable } from "../engine/pulumiProject";
import { checkFailures, conn, failureOf, secret, setCase, topologyProblems, useCasesProject, type Case } from "./support";

const runEngine = pulumiAvailable();
const T = "pulumi-nodejs:dynamic/mssql-mirroring";
const MK = "Marker-MirrorPreviewMK-9c4d!";

const spec = (name: string, i: number) => ({ name, connection: conn(i), masterKeyPassword: secret("mkPassword"), endpoint: { port: 5022 + i } });
const topology = (extra: Record<string, unknown> = {}): Case => ({
  declare: [{ type: "MirroringTopology", name: "topo", args: { partners: [spec("a", 0), spec("b", 1)], witness: spec("w", 2), ...extra } }],
});

describe.runIf(runEngine)("database mirroring sessions at preview, through the CLI", () => {
  const fx = useCasesProject(3, { config: { mkPassword: { value: MK, secret: true } }, destroy: true });

  it("bad mirroring settings: every problem at once, before anything is declared, 0 requests", async () => {
    await setCase(
      fx.project,
      topology({ mirroring: { databases: ["sales", "Sales", "tempdb"], safety: "OFF", timeoutSeconds: 40000, seeding: { backupPath: "backups" }, principal: "w" } }),
    );
    const text = String(await failureOf(fx.project.stack.preview({ color: "never" })));
    expect(topologyProblems(text)).toEqual([
      "mirroring.databases[1] 'Sales' is listed twice (also databases[0]): a database has one mirroring session; list it once",
      "mirroring.databases[2] is a system database; only user databases can be mirrored (Microsoft: master, msdb, tempdb and model cannot be)",
      "mirroring.timeoutSeconds must be a whole number of seconds from 5 to 32767 (SQL Server refuses more, 1476; 10 or more is recommended), got 40000",
      "mirroring.seeding.backupPath must be absolute ('/var/opt/mssql/backup', 'D:\\backup' or '\\\\server\\share'): a relative path resolves in each instance's own default folder, so the mirror would not see the principal's backups, got 'backups'",
      "mirroring.principal must name one of the partners ('a' or 'b'), not \"w\"",
      "mirroring.safety OFF (high-performance mode) with a witness is refused: Microsoft does not intend high-performance mode to use a witness, and with one the principal still needs quorum, so losing the mirror and the witness would take the database offline; remove the witness, or use FULL",
    ]);
    expect(text).not.toContain(MK);
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });

  it("a MirroringSession declared on its own: check failures name each property, 0 requests", async () => {
    await setCase(fx.project, {
      declare: [
        {
          type: "MirroringSession",
          name: "bad",
          args: {
            database: "master",
            partners: [
              { name: "a", connection: conn(0), endpointUrl: "TCP://127.0.0.1:5022" },
              { name: "b", connection: conn(1), endpointUrl: "127.0.0.1:5023" },
            ],
            witness: { name: "w", connection: conn(2), endpointUrl: "TCP://127.0.0.1:5022" },
            timeoutSeconds: 2,
            principal: "c",
          },
        },
      ],
    });
    const text = String(await failureOf(fx.project.stack.preview({ color: "never" })));
    expect(checkFailures(text, "MirroringSession", "bad")).toEqual(
      [
        'property database value {master} has a problem: is a system database; only user databases can be mirrored (Microsoft: master, msdb, tempdb and model cannot be)',
        "property partners[1].endpointUrl value {<nil>} has a problem: must be a URL like TCP://sql-b.corp:5022 (TCP://, a host name or address, a port 1–65535), got '127.0.0.1:5023'",
        "property principal value {c} has a problem: must name one of the partners (\"a\" or \"b\"), got \"c\"",
        "property timeoutSeconds value {2} has a problem: must be at least 5 seconds: SQL Server turns 0–4 into 5, so 2 would show as drift at every refresh (10 or more is recommended), got 2",
        "property witness.endpointUrl value {<nil>} has a problem: is also a partner's address: the witness must be a third instance (SQL Server refuses it, 1429)",
      ].sort(),
    );
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });

  it("a fresh stack with mirroring previews its sessions with 0 requests", async () => {
    await setCase(fx.project, topology({ mirroring: { databases: ["sales", "stock"] } }));
    const preview = await fx.project.stack.preview({ color: "never" });
    // Stack + topology + 3 × (instance + 3) + 6 × (trust + 4) + 2 sessions.
    expect(preview.changeSummary).toEqual({ create: 1 + 1 + 3 * 4 + 6 * 5 + 2 });
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });

  it("an existing partners stack without mirroring previews no change (0 requests); adding mirroring plans only its sessions", async () => {
    await setCase(fx.project, topology());
    const up = await fx.project.stack.up({ color: "never" });
    expect(up.summary.result).toBe("succeeded");
    const total = 1 + 1 + 3 * 4 + 6 * 5;
    for (const i of fx.instances) i.resetCounters();
    const unchanged = await fx.project.stack.preview({ color: "never" });
    expect(unchanged.changeSummary).toEqual({ same: total });
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });

    await setCase(fx.project, topology({ mirroring: { databases: ["sales", "stock"], seeding: { backupPath: "/var/opt/mssql/backup" } } }));
    const added = await fx.project.stack.preview({ color: "never", diff: true });
    expect(added.changeSummary).toEqual({ same: total, create: 2 });
    expect(added.stdout).toContain(`+ ${T}:MirroringSession: (create)`);
    expect(added.stdout).toMatch(/\[urn=urn:pulumi:test::[^:]+::mssql-mirroring:index:MirroringTopology\$pulumi-nodejs:dynamic\/mssql-mirroring:MirroringSession::topo-mirror-a-b-sales\]/);
    expect(traffic(fx.instances)).toEqual({ requests: 0, logins: 0 });
  });
});

/**
 * An estate through the real Pulumi CLI, on emulated instances, as far as the emulator goes today
 * (it does not run availability-group or mirroring statements yet, so the groups are
 * transport-only): three instances declared once, AG1 {a, b} and AG2 {b, c}. `up` derives one
 * endpoint per instance and the trusts the groups need; every pair a group needs completes a real
 * handshake and the pair no group needs is refused; a second preview and `up` change nothing; a
 * third group over an existing pair adds nothing; rotating b's certificate (a new subject) keeps
 * every needed pair accepted throughout (b's new certificate is on a and c before b's endpoint
 * switches); removing AG2 removes c's objects and the b↔c trusts and leaves a↔b connected; destroy
 * leaves every catalog as it was. And state written by the package before the estate form existed
 * (a partners + witness stack) previews and ups no change under this one, also once the program is
 * rewritten in the estate form.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance } from "../../emulator";
import { conn, secret, setCase, useCasesProject, type Case } from "../hardening/support";
import { reservePorts } from "../support/ports";
import { SA_PASSWORD, startInstances, traffic } from "./emulators";
import { installPackage, previousPackage } from "./previousPackage";
import { whilePolling } from "./targets";
import { createProject, pulumiAvailable, recorded, ROOT } from "./pulumiProject";

const runEngine = pulumiAvailable();
const MK = "Marker-EstateMK-3c8d!";
const NAMES = ["a", "b", "c"] as const;

describe.runIf(runEngine)("an estate of two groups over a shared instance, through the Pulumi CLI", () => {
  const fx = useCasesProject(3, { config: { mkPassword: { value: MK, secret: true } }, destroy: true });

  const estate = (ports: number[], extra: { subjectB?: string; groups?: object[] } = {}): Case => ({
    declare: [
      {
        type: "MirroringTopology",
        name: "estate",
        args: {
          instances: NAMES.map((name, i) => ({
            name,
            connection: conn(i),
            masterKeyPassword: secret("mkPassword"),
            endpoint: { port: ports[i] },
            ...(name === "b" && extra.subjectB !== undefined ? { certificate: { subject: extra.subjectB } } : {}),
          })),
          availabilityGroups: [
            { name: "ag1", replicas: ["a", "b"], transportOnly: true },
            { name: "ag2", replicas: ["b", "c"], transportOnly: true },
            ...(extra.groups ?? []),
          ],
        },
      },
    ],
  });

  /** Every directed pair's handshake, a real endpoint connection each. */
  const handshakes = async (instances: EmulatorInstance[]) =>
    Promise.all(
      NAMES.flatMap((from, f) =>
        NAMES.map((to, t) => ({ to, t }))
          .filter(({ t }) => t !== f)
          .map(async ({ to, t }) => {
            const r = await checkHandshake(instances[f]!, instances[t]!, { role: "replica" });
            return `${from}->${to}: ${r.ok ? "ok" : r.error.number}`;
          }),
      ),
    );
  const needed = (h: string[]) => h.filter((x) => !/^(a->c|c->a)/.test(x));

  it("up derives the trusts the groups need; those pairs connect, a↔c does not; nothing changes after; a rotation of b refuses nothing", async () => {
    const ports = await reservePorts(3);
    const before = fx.instances.map((i) => i.catalog());
    await setCase(fx.project, estate(ports));
    const up = await fx.project.stack.up(recorded(fx.project));
    expect(up.summary.result).toBe("succeeded");
    // Stack + topology + 3 × (instance + master key + certificate + endpoint) + 4 × (trust + login, user, peer certificate, grant).
    const total = 1 + 1 + 3 * 4 + 4 * 5;
    expect(up.summary.resourceChanges).toEqual({ create: total });

    const first = await handshakes(fx.instances);
    expect(needed(first)).toEqual(["a->b: ok", "b->a: ok", "b->c: ok", "c->b: ok"]);
    // a and c share no group: neither holds the other's certificate, so each refuses the other (28035).
    expect(first.filter((h) => /^(a->c|c->a)/.test(h))).toEqual(["a->c: 28035", "c->a: 28035"]);

    for (const i of fx.instances) i.resetCounters();
    const again = await fx.project.stack.preview(recorded(fx.project));
    expect(again.changeSummary).toEqual({ same: total });
    const second = await fx.project.stack.up(recorded(fx.project));
    expect(second.summary.resourceChanges).toEqual({ same: total });

    // A third group over the pair a↔b needs nothing new.
    await setCase(fx.project, estate(ports, { groups: [{ name: "ag3", replicas: ["b", "a"], transportOnly: true }] }));
    const third = await fx.project.stack.preview(recorded(fx.project));
    expect(third.changeSummary).toEqual({ same: total });

    // Rotation of b, which both groups use: a and c import its new certificate before b's endpoint presents it.
    await setCase(fx.project, estate(ports, { subjectB: "estate b, renewed" }));
    const { value: rotated, refusals, polls } = await whilePolling(async () => needed(await handshakes(fx.instances)), () => fx.project.stack.up(recorded(fx.project)));
    expect(rotated.summary.result).toBe("succeeded");
    expect(refusals).toEqual([]);
    expect(polls).toBeGreaterThan(0);
    // b's certificate and both copies of it (on a and c) were replaced, b's endpoint updated; nothing else.
    expect(rotated.summary.resourceChanges).toEqual({ same: total - 4, replace: 3, update: 1 });
    expect(needed(await handshakes(fx.instances))).toEqual(["a->b: ok", "b->a: ok", "b->c: ok", "c->b: ok"]);

    // Removing AG2 (and c, which nothing uses then): c's objects and the b↔c trusts go; AG1's pair stays as it is.
    const withoutAg2: Case = estate(ports, { subjectB: "estate b, renewed" });
    const args = withoutAg2.declare[0]!.args as { instances: unknown[]; availabilityGroups: unknown[] };
    args.instances = args.instances.slice(0, 2);
    args.availabilityGroups = args.availabilityGroups.slice(0, 1);
    await setCase(fx.project, withoutAg2);
    const removed = await fx.project.stack.up(recorded(fx.project));
    // c's instance component + master key, certificate, endpoint; two trusts (b accepts c, c accepts b) of 5 each.
    expect(removed.summary.resourceChanges).toEqual({ same: total - 4 - 2 * 5, delete: 4 + 2 * 5 });
    expect(needed(await handshakes(fx.instances)).filter((h) => /^(a->b|b->a)/.test(h))).toEqual(["a->b: ok", "b->a: ok"]);
    expect(fx.instances[2]!.catalog()).toEqual(before[2]);

    await fx.project.stack.destroy(recorded(fx.project));
    expect(fx.instances.map((i) => i.catalog())).toEqual(before);
    // Six CLI runs on two shared cores: far above the default timeout under load.
  }, 300_000);
});

/** The last commit before the estate form: what existing shorthand stacks were written with. */
const BEFORE_ESTATE = "daf174b91c90e032c3fa791ed2712b369a2e0b1c";

describe.runIf(runEngine)("state written before the estate form", () => {
  it("a partners + witness stack previews and ups no change under this version, and none once rewritten as an estate", async () => {
    const instances = await startInstances(3);
    const ports = await reservePorts(3);
    const before = instances.map((i) => i.catalog());
    const project = await createProject({
      source: path.join(ROOT, "examples", "partners-witness"),
      config: {
        instances: { value: JSON.stringify(instances.map((i, n) => ({ name: ["sql-a", "sql-b", "sql-w"][n], server: "127.0.0.1", port: i.port, endpointPort: ports[n] }))) },
        sqlPassword: { value: SA_PASSWORD, secret: true },
        masterKeyPassword: { value: "Marker-EstateUpgradeMK-6d1b!", secret: true },
        tlsCa: { value: instances[0]!.tlsCertificate },
      },
    });
    try {
      // Stack + topology + 3 × (instance + master key, certificate, endpoint) + 6 × (trust + 4).
      const total = 2 + 3 * 4 + 6 * 5;
      installPackage(project, previousPackage(BEFORE_ESTATE));
      const created = await project.stack.up(recorded(project));
      expect(created.summary.resourceChanges).toEqual({ create: total });

      installPackage(project, ROOT);
      const t0 = traffic(instances);
      const preview = await project.stack.preview({ ...recorded(project), diff: true });
      expect(preview.changeSummary).toEqual({ same: total });
      expect(traffic(instances)).toEqual(t0);
      const up = await project.stack.up(recorded(project));
      expect(up.summary.resourceChanges).toEqual({ same: total });

      // The same stack written as an estate: the instances once, one session entry managed elsewhere.
      const program = path.join(project.dir, "index.ts");
      const shorthand = readFileSync(program, "utf8");
      const estate = shorthand.replace(
        /partners: \[spec\(a!\), spec\(b!\)\],\s*witness: spec\(w!\),/,
        "instances: [spec(a!), spec(b!), spec(w!)],\n  mirroringSessions: [{ partners: [a!.name, b!.name], witness: w!.name, transportOnly: true }],",
      );
      expect(estate).not.toBe(shorthand);
      writeFileSync(program, estate);
      const t1 = traffic(instances);
      const rewritten = await project.stack.preview(recorded(project));
      expect(rewritten.changeSummary).toEqual({ same: total });
      expect(traffic(instances)).toEqual(t1);

      await project.stack.destroy(recorded(project));
      expect(instances.map((i) => i.catalog())).toEqual(before);
    } finally {
      await project.stack.destroy({ color: "never" }).catch(() => undefined);
      project.remove();
      await Promise.all(instances.map((i) => i.stop()));
    }
  }, 600_000);
});

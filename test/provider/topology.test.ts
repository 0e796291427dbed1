/**
 * Whole topologies through the providers, in the order the engine runs MirroringTopology's graph:
 * two partners plus a witness, and a three-replica AG with a certificate rotation. After each
 * step every directed pair must pass the emulator's handshake check, and teardown must leave every
 * catalog exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkHandshake, type EmulatorInstance, type HandshakeResult } from "../../emulator/index";
import { planTopology, type PlannedInstance, type TopologyPlan } from "../../provider/components/plan";
import { Driven, replaceOn, UPDATE, type Props } from "./driver";
import { catalogOf, connectionOf, cost, rowsOf, sa, startInstances, stopInstances, warmPool } from "./support";
import { reservePorts } from "../support/ports";

/** One instance of a topology: its logical name, emulator and endpoint port. */
interface Member {
  name: string;
  instance: EmulatorInstance;
  endpointPort: number;
}

/** What one PeerTrust declares on the receiver, named as peerTrust.ts derives the names. */
interface Trust {
  receiver: string;
  peer: string;
  login: Driven;
  user: Driven;
  certificate: Driven;
  permission: Driven;
}

/** The handshake role of a planned endpoint role. */
function sessionRole(p: PlannedInstance): "partner" | "witness" | "replica" {
  return p.role === "PARTNER" ? "partner" : p.role === "WITNESS" ? "witness" : "replica";
}

/**
 * A topology deployed resource by resource, with the arguments MirroringTopology /
 * MirroringInstance / PeerTrust would give each resource (default name prefix `mirroring_`).
 */
class Deployment {
  readonly masterKeys = new Map<string, Driven>();
  readonly certificates = new Map<string, Driven>();
  readonly endpoints = new Map<string, Driven>();
  readonly trusts: Trust[] = [];
  /** Subject of each instance's certificate (changed by a rotation). */
  readonly subjects = new Map<string, string>();

  constructor(
    readonly plan: TopologyPlan,
    readonly members: Map<string, Member>,
  ) {}

  member(name: string): Member {
    return this.members.get(name)!;
  }

  masterKeyArgs(name: string): Props {
    return { connection: connectionOf(this.member(name).instance), password: `Marker-MK-${name}-7f3a!`, adopt: true };
  }

  certificateArgs(name: string): Props {
    return { connection: connectionOf(this.member(name).instance), subject: this.subjects.get(name) ?? `mirroring ${name}` };
  }

  endpointArgs(p: PlannedInstance): Props {
    return {
      connection: connectionOf(this.member(p.name).instance),
      port: this.member(p.name).endpointPort,
      encryption: p.encryption,
      algorithm: p.algorithm,
      role: p.role,
      certificateName: this.certificates.get(p.name)!.state.certificateName,
    };
  }

  /** Arguments of one of the PeerTrust's resources (`t`'s earlier parts must exist). */
  trustArgs(t: Trust, part: "login" | "user" | "certificate" | "permission"): Props {
    const connection = connectionOf(this.member(t.receiver).instance);
    switch (part) {
      case "login":
        return { connection, name: `mirroring_${t.peer}_login` };
      case "user":
        return { connection, name: `mirroring_${t.peer}_user`, login: t.login.state.name };
      case "certificate":
        return { connection, owner: t.user.state.name, publicKey: this.certificates.get(t.peer)!.state.publicKey, namePrefix: `mirroring_${t.peer}_peer` };
      case "permission":
        return { connection, endpoint: this.endpoints.get(t.receiver)!.state.name, login: t.login.state.name };
    }
  }

  /**
   * Creates everything in dependency order: outbound keys and certificates, inbound trusts,
   * endpoints, grants. `beforeGrants` runs once everything but the grants exists.
   */
  async deploy(beforeGrants: () => void | Promise<void> = () => undefined): Promise<void> {
    for (const p of this.plan.instances) {
      const mk = new Driven("MasterKey");
      await mk.create(this.masterKeyArgs(p.name));
      this.masterKeys.set(p.name, mk);
      const cert = new Driven("Certificate");
      await cert.create(this.certificateArgs(p.name));
      this.certificates.set(p.name, cert);
    }
    for (const { receiver, peer } of this.plan.trusts) {
      const t: Trust = { receiver, peer, login: new Driven("Login"), user: new Driven("User"), certificate: new Driven("PeerCertificate"), permission: new Driven("EndpointPermission") };
      await t.login.create(this.trustArgs(t, "login"));
      await t.user.create(this.trustArgs(t, "user"));
      await t.certificate.create(this.trustArgs(t, "certificate"));
      this.trusts.push(t);
    }
    // Each endpoint waits for every peer's import of its certificate.
    for (const p of this.plan.instances) {
      const ep = new Driven("MirroringEndpoint");
      await ep.create(this.endpointArgs(p));
      this.endpoints.set(p.name, ep);
    }
    await beforeGrants();
    for (const t of this.trusts) await t.permission.create(this.trustArgs(t, "permission"));
  }

  /** Every directed pair of the plan (peer connects to receiver, over a real connection), with the roles each plays. */
  handshakes(): Promise<Array<{ pair: string; result: HandshakeResult }>> {
    const byName = new Map(this.plan.instances.map((p) => [p.name, p]));
    return Promise.all(
      this.plan.trusts.map(async ({ receiver, peer }) => {
        const from = byName.get(peer)!;
        const to = byName.get(receiver)!;
        const role = sessionRole(from);
        const options = role === "replica" ? { role } : { role, peerRole: sessionRole(to) as "partner" | "witness" };
        return { pair: `${peer} -> ${receiver}`, result: await checkHandshake(this.member(peer).instance, this.member(receiver).instance, options) };
      }),
    );
  }

  /** Asserts that every directed pair is accepted (`step` names the moment in failure output). */
  async expectAllAccepted(step: string): Promise<void> {
    const all = await this.handshakes();
    expect(all.filter((h) => !h.result.ok), `after ${step}`).toEqual([]);
    expect(all).toHaveLength(this.plan.trusts.length);
  }

  /** Deletes everything in reverse dependency order. */
  async destroy(): Promise<void> {
    for (const t of this.trusts) await t.permission.delete();
    for (const ep of this.endpoints.values()) await ep.delete();
    for (const t of this.trusts) {
      await t.certificate.delete();
      await t.user.delete();
      await t.login.delete();
    }
    for (const name of this.masterKeys.keys()) {
      await this.certificates.get(name)!.delete();
      await this.masterKeys.get(name)!.delete();
    }
  }
}

let instances: EmulatorInstance[] = [];
/** One reserved endpoint port per instance: the endpoints really listen, beside other test files'. */
let ports: number[] = [];

beforeAll(async () => {
  instances = await startInstances(6, { namePrefix: "TOPO" });
  ports = await reservePorts(6);
  for (const instance of instances) await warmPool(instance);
});
afterAll(() => stopInstances(instances));

function membersOf(names: string[], from: EmulatorInstance[]): Map<string, Member> {
  return new Map(names.map((name, i) => [name, { name, instance: from[i]!, endpointPort: ports[instances.indexOf(from[i]!)]! }]));
}

describe("database mirroring: two partners and a witness", () => {
  it("is accepted on every directed pair with the roles of each side, and tears down to the exact catalogs it found", async () => {
    const members = membersOf(["principal", "mirror", "witness"], instances.slice(0, 3));
    const shape = (name: string) => ({ name, server: "127.0.0.1", port: members.get(name)!.instance.port, endpointPort: members.get(name)!.endpointPort });
    const plan = planTopology({ partners: [shape("principal"), shape("mirror")], witness: shape("witness") });
    expect(plan.instances.map((p) => [p.name, p.role])).toEqual([
      ["principal", "PARTNER"],
      ["mirror", "PARTNER"],
      ["witness", "WITNESS"],
    ]);
    expect(plan.trusts).toHaveLength(6);
    const before = [...members.values()].map((m) => catalogOf(m.instance));

    const deployment = new Deployment(plan, members);
    // Until CONNECT is granted, every peer is refused as SQL Server would: 28034 on the receiver.
    await deployment.deploy(async () => {
      expect((await deployment.handshakes()).map((h) => (h.result.ok ? 0 : h.result.error.number))).toEqual([28034, 28034, 28034, 28034, 28034, 28034]);
    });
    await deployment.expectAllAccepted("deploy");
    expect((await deployment.handshakes()).map((h) => h.pair)).toEqual([
      "mirror -> principal",
      "witness -> principal",
      "principal -> mirror",
      "witness -> mirror",
      "principal -> witness",
      "mirror -> witness",
    ]);
    // The roles are real: the witness's endpoint refuses to act as a partner, and vice versa.
    expect(await checkHandshake(members.get("witness")!.instance, members.get("principal")!.instance, { role: "partner" })).toMatchObject({ ok: false, error: { number: 28080 } });
    expect(await checkHandshake(members.get("principal")!.instance, members.get("mirror")!.instance, { role: "witness" })).toMatchObject({ ok: false, error: { number: 28080 } });
    // Names as the components derive them.
    const principal = members.get("principal")!.instance;
    expect(rowsOf(principal, "sys.server_principals", "name", "mirroring_mirror_login")).toHaveLength(1);
    expect(rowsOf(principal, "sys.database_principals", "name", "mirroring_witness_user")).toHaveLength(1);
    expect(deployment.trusts.find((t) => t.receiver === "principal" && t.peer === "mirror")!.certificate.state.name).toMatch(/^mirroring_mirror_peer_[0-9a-f]{8}$/);

    await deployment.destroy();
    expect([...members.values()].map((m) => catalogOf(m.instance))).toEqual(before);
  });
});

describe("an endpoint owner change (ALTER AUTHORIZATION drops every permission on the endpoint)", () => {
  it("keeps every handshake accepted and sys.server_permissions exactly as it was; only the owner differs", async () => {
    const members = membersOf(["principal", "mirror", "witness"], instances.slice(0, 3));
    const shape = (name: string) => ({ name, server: "127.0.0.1", port: members.get(name)!.instance.port, endpointPort: members.get(name)!.endpointPort });
    const plan = planTopology({ partners: [shape("principal"), shape("mirror")], witness: shape("witness") });
    const before = [...members.values()].map((m) => catalogOf(m.instance));
    const deployment = new Deployment(plan, members);
    await deployment.deploy();
    deployment.expectAllAccepted("deploy");
    // A grant this stack never made, with a grantor of its own, must survive too.
    const principal = members.get("principal")!.instance;
    await sa(principal, "CREATE LOGIN dba_helper WITH PASSWORD = N'Marker-Login-dba-7f3a!1'; CREATE LOGIN endpoint_owner WITH PASSWORD = N'Marker-Login-own-7f3a!1'");
    await sa(principal, "GRANT VIEW DEFINITION ON ENDPOINT::[hadr_endpoint] TO dba_helper WITH GRANT OPTION; DENY ALTER ON ENDPOINT::[hadr_endpoint] TO dba_helper");
    for (const m of members.values()) if (m.instance !== principal) await sa(m.instance, "CREATE LOGIN endpoint_owner WITH PASSWORD = N'Marker-Login-own-7f3a!1'");
    const permissionsBefore = [...members.values()].map((m) => catalogOf(m.instance)["sys.server_permissions"]);
    const endpointsBefore = [...members.values()].map((m) => catalogOf(m.instance)["sys.endpoints"]);

    for (const p of plan.instances) {
      const ep = deployment.endpoints.get(p.name)!;
      const change = await ep.plan({ ...deployment.endpointArgs(p), owner: "endpoint_owner" });
      expect(change.diff).toEqual(UPDATE);
      await ep.update(change.inputs);
      expect(ep.state.owner).toBe("endpoint_owner");
      deployment.expectAllAccepted(`the owner change on ${p.name}`);
    }
    const ownerId = (m: Member) => rowsOf(m.instance, "sys.server_principals", "name", "endpoint_owner")[0]!.principal_id;
    const sorted = (rows: Array<Record<string, unknown>> | undefined) => (rows ?? []).map((r) => JSON.stringify(r)).sort();
    expect([...members.values()].map((m) => sorted(catalogOf(m.instance)["sys.server_permissions"]))).toEqual(permissionsBefore.map(sorted));
    expect([...members.values()].map((m) => catalogOf(m.instance)["sys.endpoints"])).toEqual(
      endpointsBefore.map((rows, i) => rows!.map((r) => (Number(r.endpoint_id) >= 65536 ? { ...r, principal_id: ownerId([...members.values()][i]!) } : r))),
    );
    // Every EndpointPermission still reads as granted.
    for (const t of deployment.trusts) expect(await t.permission.read(), `${t.peer} -> ${t.receiver}`).toBe(true);

    await deployment.destroy();
    await sa(principal, "DROP LOGIN dba_helper");
    for (const m of members.values()) await sa(m.instance, "DROP LOGIN endpoint_owner");
    expect([...members.values()].map((m) => catalogOf(m.instance))).toEqual(before);
  });
});

describe("availability group: three replicas", () => {
  it("rotates one replica's certificate without a refused handshake at any step, then tears down to the exact catalogs it found", async () => {
    const members = membersOf(["r1", "r2", "r3"], instances.slice(3, 6));
    const shape = (name: string) => ({ name, server: "127.0.0.1", port: members.get(name)!.instance.port, endpointPort: members.get(name)!.endpointPort });
    const plan = planTopology({ replicas: [shape("r1"), shape("r2"), shape("r3")] });
    expect(plan.instances.every((p) => p.role === "ALL")).toBe(true);
    expect(plan.trusts).toHaveLength(6);
    const before = [...members.values()].map((m) => catalogOf(m.instance));
    const deployment = new Deployment(plan, members);
    await deployment.deploy();
    await deployment.expectAllAccepted("deploy");

    // 1. r2's new certificate, created beside the old one under a new generated name.
    const rotating = members.get("r2")!;
    const oldCertificate = deployment.certificates.get("r2")!;
    deployment.subjects.set("r2", "mirroring r2 rotated");
    expect((await oldCertificate.plan(deployment.certificateArgs("r2"))).diff).toEqual(replaceOn(["subject"]));
    const newCertificate = new Driven("Certificate");
    await newCertificate.create(deployment.certificateArgs("r2"));
    expect(newCertificate.state.certificateName).not.toBe(oldCertificate.state.certificateName);
    deployment.certificates.set("r2", newCertificate);
    await deployment.expectAllAccepted("the new certificate");

    // 2. Every peer imports the new public key beside the old one (new thumbprint-derived name).
    const oldImports: Driven[] = [];
    for (const t of deployment.trusts.filter((x) => x.peer === "r2")) {
      const args = deployment.trustArgs(t, "certificate");
      expect((await t.certificate.plan(args)).diff).toEqual(replaceOn(["name", "publicKey"]));
      const next = new Driven("PeerCertificate");
      await next.create(args);
      expect(next.state.name).not.toBe(t.certificate.state.name);
      oldImports.push(t.certificate);
      t.certificate = next;
      await deployment.expectAllAccepted(`${t.receiver} imported the new key`);
    }

    // 3. r2's endpoint switches to the new certificate in place.
    const endpoint = deployment.endpoints.get("r2")!;
    const switchPlan = await endpoint.plan(deployment.endpointArgs(plan.instances[1]!));
    expect(switchPlan.diff).toEqual(UPDATE);
    const switched = await cost(rotating.instance, () => endpoint.update(switchPlan.inputs));
    expect(switched.requests).toBe(2);
    expect(endpoint.state.certificateName).toBe(newCertificate.state.certificateName);
    await deployment.expectAllAccepted("the endpoint switched");

    // 4. The old imports go, then 5. the old certificate.
    for (const old of oldImports) {
      await old.delete();
      await deployment.expectAllAccepted("an old import was dropped");
    }
    await oldCertificate.delete();
    await deployment.expectAllAccepted("the old certificate was dropped");
    expect(rowsOf(rotating.instance, "sys.certificates", "name", oldCertificate.state.certificateName)).toEqual([]);

    await deployment.destroy();
    expect([...members.values()].map((m) => catalogOf(m.instance))).toEqual(before);
  });
});

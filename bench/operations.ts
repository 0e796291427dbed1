/**
 * Requests per resource operation, measured directly: each resource kind's provider (the object the
 * serialized thin provider dispatches to) is driven through check → create → read → update → delete
 * against an emulated instance over real TDS, with the pool already connected, and the instance's
 * counters are read around every call. Values cross a JSON round trip between calls, as they cross
 * gRPC between engine and provider (no `undefined`, no Buffers).
 */
import { performance } from "node:perf_hooks";
import { startEmulator, type EmulatorInstance } from "../emulator";
import { checkConnection } from "../provider/resources/connection";
import { clientFor } from "../provider/resources/lifecycle";
import { dynamicProvider } from "../provider/resources/registry";
import { closeAllPools } from "../provider/sql";

type Props = Record<string, unknown>;
type Op = "check" | "diff" | "create" | "read" | "update" | "delete";

/** What one call cost on the instance. */
export interface OperationCost {
  kind: string;
  op: Op;
  /** What the update changed (updates only). */
  change?: string;
  /** All requests (batches + RPCs + transaction requests). */
  requests: number;
  /** RPC requests (`sp_executesql`: the operations' own). */
  rpcs: number;
  logins: number;
  /** Wall time of the call, ms (the emulator runs in this process). */
  ms: number;
}

/** Result of {@link measureOperations}. */
export interface OperationsResult {
  costs: OperationCost[];
  /** Most requests any kind needed, by operation. */
  max: Record<"create" | "read" | "update" | "delete" | "check" | "diff", number>;
}

const SA = "Bench-SA-Passw0rd!";
const wire = (v: unknown): Props => JSON.parse(JSON.stringify(v)) as Props;

class Driven {
  readonly provider: ReturnType<typeof dynamicProvider>;
  id = "";
  inputs: Props = {};
  state: Props = {};
  constructor(
    readonly kind: string,
    private readonly instance: EmulatorInstance,
    private readonly costs: OperationCost[],
  ) {
    this.provider = dynamicProvider(kind);
  }

  private async counted<T>(op: Op, work: () => Promise<T>, change?: string): Promise<T> {
    const c = this.instance.counters;
    const before = { requests: c.requests, rpcs: c.rpcs, logins: c.logins + c.failedLogins };
    const t0 = performance.now();
    const value = await work();
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    this.costs.push({
      kind: this.kind,
      op,
      ...(change ? { change } : {}),
      requests: c.requests - before.requests,
      rpcs: c.rpcs - before.rpcs,
      logins: c.logins + c.failedLogins - before.logins,
      ms,
    });
    return value;
  }

  private async check(news: Props, olds: Props): Promise<Props> {
    const result = await this.counted("check", () => this.provider.check(wire(olds), wire(news)));
    if (result.failures && result.failures.length > 0) throw new Error(`${this.kind}: check failed: ${JSON.stringify(result.failures)}`);
    return wire(result.inputs ?? news);
  }

  async create(args: Props): Promise<Props> {
    const inputs = await this.check(args, {});
    const result = await this.counted("create", () => this.provider.create(inputs));
    this.id = result.id;
    this.inputs = inputs;
    this.state = wire(result.outs);
    return this.state;
  }

  async read(): Promise<void> {
    const result = await this.counted("read", () => this.provider.read(this.id, this.state));
    if (!result.id) throw new Error(`${this.kind}: read found nothing`);
    this.state = wire(result.props ?? this.state);
  }

  async update(args: Props, change: string): Promise<void> {
    const inputs = await this.check(args, this.inputs);
    const diff = await this.counted("diff", () => this.provider.diff(this.id, this.state, inputs));
    if (!diff.changes || (diff.replaces ?? []).length > 0) throw new Error(`${this.kind}: '${change}' is not an in-place update (${JSON.stringify(diff)})`);
    const result = await this.counted("update", () => this.provider.update(this.id, this.state, inputs), change);
    this.inputs = inputs;
    this.state = wire(result.outs ?? {});
  }

  async delete(): Promise<void> {
    await this.counted("delete", () => this.provider.delete(this.id, this.state));
  }
}

/** Runs every operation of every resource kind once on fresh emulated instances. */
export async function measureOperations(): Promise<OperationsResult> {
  const [a, b] = [await startEmulator({ saPassword: SA, name: "BENCHOPS1" }), await startEmulator({ saPassword: SA, name: "BENCHOPS2" })];
  const costs: OperationCost[] = [];
  try {
    const conn = (i: EmulatorInstance, extra: Props = {}) => ({ server: "127.0.0.1", port: i.port, user: "sa", password: SA, encrypt: true, ca: i.tlsCertificate, ...extra });
    // Connect the pools first: a fresh pooled connection adds a login and the driver's SET batch.
    for (const i of [a, b]) await clientFor(checkConnection(conn(i), [])!).query("SELECT 1 AS ready");

    // The peer's certificate (on b), whose public key a imports.
    const peerCosts: OperationCost[] = [];
    await new Driven("MasterKey", b, peerCosts).create({ connection: conn(b), password: "Bench-MK-b-1!", adopt: true });
    const peer = await new Driven("Certificate", b, peerCosts).create({ connection: conn(b), subject: "bench peer", validityDays: 30 });

    const d = (kind: string) => new Driven(kind, a, costs);
    const masterKey = d("MasterKey");
    await masterKey.create({ connection: conn(a), password: "Bench-MK-a-1!", adopt: true });
    const certificate = d("Certificate");
    const cert = await certificate.create({ connection: conn(a), subject: "bench", validityDays: 30 });
    const endpoint = d("MirroringEndpoint");
    const endpointArgs = { connection: conn(a), name: "hadr_endpoint", port: 5022, certificateName: cert.certificateName, role: "ALL" };
    await endpoint.create(endpointArgs);
    const login = d("Login");
    await login.create({ connection: conn(a), name: "bench_login" });
    const otherLogins = [new Driven("Login", a, []), new Driven("Login", a, [])];
    await otherLogins[0]!.create({ connection: conn(a), name: "bench_login2" });
    await otherLogins[1]!.create({ connection: conn(a), name: "bench_login3" });
    const user = d("User");
    await user.create({ connection: conn(a), name: "bench_user", login: "bench_login" });
    const otherUser = new Driven("User", a, []);
    await otherUser.create({ connection: conn(a), name: "bench_user2", login: "bench_login2" });
    const peerCertificate = d("PeerCertificate");
    const peerArgs = { connection: conn(a), owner: "bench_user", publicKey: peer.publicKey, namePrefix: "bench_peer" };
    await peerCertificate.create(peerArgs);
    const permission = d("EndpointPermission");
    const permissionArgs = { connection: conn(a), endpoint: "hadr_endpoint", login: "bench_login" };
    await permission.create(permissionArgs);
    const backup = d("CertificateBackup");
    await backup.create({ connection: conn(a), certificateName: cert.certificateName, file: `bench-${Date.now()}.cer` });

    const all = [masterKey, certificate, endpoint, login, user, peerCertificate, permission, backup];
    for (const r of all) await r.read();

    // Updates that reach SQL Server, one per kind that has one.
    await masterKey.update({ connection: conn(a), password: "Bench-MK-a-2!", adopt: true }, "password");
    await endpoint.update({ ...endpointArgs, port: 5023 }, "port");
    await login.update({ connection: conn(a), name: "bench_login", password: "Bench-Login-2!" }, "password");
    await user.update({ connection: conn(a), name: "bench_user", login: "bench_login3" }, "login");
    await peerCertificate.update({ ...peerArgs, owner: "bench_user2" }, "owner");
    // The grant is re-applied when a DENY was put in place out of band (the only in-place update).
    permission.state = { ...permission.state, state: "DENY" };
    await permission.update(permissionArgs, "state (DENY drift)");
    // Only connection settings (TLS options here) change: never a request.
    await certificate.update({ connection: conn(a, { trustServerCertificate: true }), subject: "bench", validityDays: 30 }, "connection only");
    // …and back, so the deletes below use the pool that is already connected.
    await certificate.update({ connection: conn(a), subject: "bench", validityDays: 30 }, "connection only");

    // Helpers (otherUser, otherLogins) record into a discarded list.
    for (const r of [permission, peerCertificate, otherUser, user, ...otherLogins, login, endpoint, backup, certificate, masterKey]) await r.delete();
  } finally {
    await closeAllPools();
    await a.stop();
    await b.stop();
  }
  const maxOf = (op: Op) => Math.max(0, ...costs.filter((c) => c.op === op).map((c) => c.requests));
  return {
    costs,
    max: { create: maxOf("create"), read: maxOf("read"), update: maxOf("update"), delete: maxOf("delete"), check: maxOf("check"), diff: maxOf("diff") },
  };
}

/**
 * Database mirroring sessions of one instance, over its endpoint connections: the partner side
 * (principal or mirror of each mirrored database) and the witness side. It is the engine's
 * {@link MirroringHost}: ALTER DATABASE … SET PARTNER / SET WITNESS run here (statements.ts holds
 * their rules), and sys.database_mirroring / sys.database_mirroring_witnesses are its rows.
 *
 * How state travels (emulator/README.md "Database mirroring sessions"):
 * - Each partner keeps a {@link Link} to the other and, with a witness, to the witness; the witness
 *   keeps links back to both partners. Messages go out on the sender's own links and replies come
 *   back on the connection the request arrived on. Two instances are connected when each has its
 *   own link up and hears the other on an inbound connection: a trust broken in either direction
 *   disconnects the pair.
 * - The principal ships every committed transaction's log records (`onCommit`) to the mirror, which
 *   applies them (`applyLog`) and answers with its log position; on every (re)connection the two
 *   exchange positions and the principal sends what is missing — or the whole database when the
 *   mirror's copy no longer continues the principal's log (after a failover that lost records).
 * - The principal is the source of the session's settings and state and pushes them to the mirror
 *   and the witness whenever they change.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { accessError, decodeImage, decodeLogRecords, encodeImage, encodeLogRecords, type DatabaseCommitEvent } from "../../engine/databases";
import type { Engine, MirroringAlterRequest, MirroringDatabaseRow, MirroringHost, MirroringStateDesc, MirroringWitnessRow } from "../../engine/engine";
import { messageText, SqlError, sqlMessage } from "../../engine/errors";
import type { ConnectionManager, EndpointConnection, Link } from "../manager";
import { CHANNEL, decodeMessage, encodeMessage, lsnText, lsnValue, recordDigest, type LogPosition, type MirroringMessage, type SessionStatus } from "./messages";
import { loadMirroringState, saveMirroringState, type MirroringState, type PartnerRecord } from "./records";
import { runMirroringStatement } from "./statements";
import { WitnessRole } from "./witness";

/** Options of {@link MirroringSessions}. */
export interface MirroringSessionsOptions {
  /** The instance's connection manager. */
  hadr: ConnectionManager;
  /** The instance's @@SERVERNAME. */
  serverName: string;
  /** Where the sessions are kept across restarts (`<dataDir>/mirroring.json`); in memory without one. */
  dataDir?: string;
  /** The instance's error log. */
  log?: (line: string) => void;
  /** Bound on each wait for a peer (a reply, a connection back), ms. Default 5000. */
  waitMs?: number;
}

/** What a partner keeps while it runs (never persisted). */
export interface PartnerRuntime {
  /** The link to the other partner. */
  link: Link;
  /** The link to the witness, when there is one. */
  witnessLink?: Link;
  /** Principal: the mirror's last confirmed LSN (null until known). */
  mirrorLsn: bigint | null;
  /** Principal: whether the mirror's position has been confirmed since the last connection. */
  mirrorKnown: boolean;
  /** Mirror: the state the principal last reported. */
  reported: MirroringStateDesc;
  /** Mirror: the session was SYNCHRONIZED when the principal was last heard (automatic failover needs it). */
  wasSynchronized: boolean;
  /** Mirror: an automatic failover attempt is running. */
  takingOver: boolean;
  /** The status last pushed to the mirror / to the witness (to push only changes). */
  pushed?: string;
  pushedToWitness?: string;
}

/** A reply to a request. */
export type Reply = Extract<MirroringMessage, { type: "reply" }>;

const DEFAULT_WAIT_MS = 5000;
const POLL_MS = 10;
const lower = (s: string) => s.toLowerCase();

/** An error from the message table, as a statement-level SqlError. */
export function mirroringError(number: number, ...args: Array<string | number>): SqlError {
  return new SqlError(sqlMessage(number, args, { line: 0 }));
}

/** See the module comment. */
export class MirroringSessions implements MirroringHost {
  /** The persisted sessions (partner and witness records). */
  state: MirroringState;
  private engineRef?: Engine;
  /** True between {@link attach} and {@link suspend}. */
  running = false;
  private readonly runtimes = new Map<string, PartnerRuntime>();
  /** The witness side: the sessions this instance is witness of. */
  private readonly witness: WitnessRole;
  /** Inbound connections by the peer's lower-case server name. */
  private readonly inbound = new Map<string, Set<EndpointConnection>>();
  private readonly pending = new Map<string, (reply: Reply | undefined) => void>();
  /** Commits waiting for their mirror (SAFETY FULL): released by the mirror's confirmation, a disconnection or their bound. */
  private hardening: Array<{ done: () => boolean; release: () => void }> = [];
  private detach: Array<() => void> = [];
  private loaded = false;
  /** Bound on each wait for a peer, ms. */
  readonly waitMs: number;

  constructor(readonly options: MirroringSessionsOptions) {
    this.state = { partners: [], witness: [] };
    this.waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
    this.witness = new WitnessRole(this);
    options.hadr.onConnection((connection) => this.accepted(connection));
  }

  /** The instance's @@SERVERNAME. */
  get serverName(): string {
    return this.options.serverName;
  }

  /** The engine (throws while the instance is not running). */
  get engine(): Engine {
    if (!this.engineRef || !this.running) throw mirroringError(1404);
    return this.engineRef;
  }

  /** The local endpoint's address (or '' without an endpoint). */
  get ownUrl(): string {
    return this.options.hadr.endpointUrl ?? "";
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /** (Re)starts on `engine`: loads the sessions (from `dataDir` after a restart), guards the mirrored databases, opens the links. */
  attach(engine: Engine): void {
    this.engineRef = engine;
    if (!this.loaded || this.options.dataDir !== undefined) this.state = loadMirroringState(this.options.dataDir);
    this.loaded = true;
    this.running = true;
    const layer = engine.databases;
    const mirrored = (name: string) => this.record(name) !== undefined;
    this.detach = [
      layer.onCommit((event) => this.committed(event)),
      engine.onCommitted(() => this.hardened()),
      layer.addGuard("drop", (db) => (mirrored(db.name) ? sqlMessage(3743, [db.name], { line: 0 }) : undefined)),
      layer.addGuard("restore", (db) => (mirrored(db.name) ? sqlMessage(3104, [db.name], { line: 0 }) : undefined)),
      layer.addGuard("alter", (db) => (mirrored(db.name) ? sqlMessage(1468, [db.name], { line: 0 }) : undefined)),
    ];
    for (const record of this.state.partners) this.startRuntime(record);
    for (const record of this.state.witness) this.witness.follow(record);
    // A principal with a witness serves again only once it has quorum.
    this.evaluateAll();
  }

  /** The instance is restarting or stopping: every link is closed (they are opened again by {@link attach}). */
  suspend(): void {
    this.running = false;
    for (const undo of this.detach.splice(0)) undo();
    for (const runtime of this.runtimes.values()) this.closeRuntime(runtime);
    this.runtimes.clear();
    this.witness.closeAll();
    for (const resolve of [...this.pending.values()]) resolve(undefined);
    this.pending.clear();
    for (const waiter of this.hardening.splice(0)) waiter.release();
  }

  /** Writes the sessions to `dataDir`. */
  save(): void {
    saveMirroringState(this.options.dataDir, this.state);
  }

  // ---------------------------------------------------------------------------------------------
  // MirroringHost

  /** Runs one ALTER DATABASE mirroring statement (statements.ts). */
  alter(request: MirroringAlterRequest): Promise<void> {
    return runMirroringStatement(this, request);
  }

  /** sys.database_mirroring's values for the mirrored databases. */
  databaseRows(): MirroringDatabaseRow[] {
    if (!this.running || !this.engineRef) return [];
    const rows: MirroringDatabaseRow[] = [];
    for (const record of this.state.partners) {
      const info = this.engineRef.databases.get(record.database);
      const runtime = this.runtimes.get(lower(record.database));
      if (!info || !runtime) continue;
      const principal = record.role === "PRINCIPAL";
      rows.push({
        databaseId: info.id,
        guid: record.guid,
        state: this.stateOf(record, runtime),
        role: record.role,
        roleSequence: record.roleSequence,
        safety: record.safety,
        safetySequence: record.safetySequence,
        partnerName: record.partnerUrl,
        partnerInstance: record.partnerServer,
        witnessName: record.witnessUrl,
        witnessState: record.witnessUrl === null ? null : this.witnessConnected(record, runtime) ? "CONNECTED" : "DISCONNECTED",
        failoverLsn: principal ? (runtime.mirrorKnown ? runtime.mirrorLsn : lsnValue(record.failoverLsn)) : info.lastLsn,
        timeoutSeconds: record.timeoutSeconds,
        endOfLogLsn: info.lastLsn,
      });
    }
    return rows;
  }

  /** sys.database_mirroring_witnesses' rows. */
  witnessRows(): MirroringWitnessRow[] {
    return this.state.witness.map((w) => ({
      databaseName: w.database,
      principalServerName: w.principalServer,
      mirrorServerName: w.mirrorServer,
      safety: w.safety,
      safetySequence: w.safetySequence,
      roleSequence: w.roleSequence,
      guid: w.guid,
      familyGuid: w.familyGuid,
      suspended: w.suspended,
      suspendedSequence: w.suspendedSequence,
      synchronized: w.synchronized,
    }));
  }

  // ---------------------------------------------------------------------------------------------
  // Records and state

  /** The partner record of `database` (any case), if it is in a session here. */
  record(database: string): PartnerRecord | undefined {
    return this.state.partners.find((r) => lower(r.database) === lower(database));
  }

  /** The runtime of a record. */
  runtime(record: PartnerRecord): PartnerRuntime {
    const runtime = this.runtimes.get(lower(record.database));
    if (!runtime) throw mirroringError(1404);
    return runtime;
  }

  /** Adds a partner record, saves, and starts its links. */
  addRecord(record: PartnerRecord): PartnerRuntime {
    this.state.partners.push(record);
    this.save();
    return this.startRuntime(record);
  }

  /** Ends the session of `record` here: the record goes, links close, the copies stay as they are (a mirror copy RESTORING). */
  endSession(record: PartnerRecord): void {
    this.state.partners = this.state.partners.filter((r) => r !== record);
    const runtime = this.runtimes.get(lower(record.database));
    if (runtime) this.closeRuntime(runtime);
    this.runtimes.delete(lower(record.database));
    this.save();
    const info = this.engineRef?.databases.get(record.database);
    // "the mirror database … stays in the RESTORING state" (Removing Database Mirroring); it is no
    // longer a mirror, so opening it is 927 again rather than 954.
    if (info && info.access.kind === "notAccessible") this.engine.databases.setAccess(record.database, { kind: "readWrite" });
    this.options.log?.(messageText(1443, record.database));
  }

  /** Whether the two partners hear each other: each one's own link is up and the other's inbound connection is there. */
  connected(record: PartnerRecord, runtime: PartnerRuntime): boolean {
    return record.partnerServer !== null && runtime.link.connected && this.hears(record.partnerServer);
  }

  /** Whether this partner and the witness hear each other. */
  witnessConnected(record: PartnerRecord, runtime: PartnerRuntime): boolean {
    return record.witnessServer !== null && runtime.witnessLink?.connected === true && this.hears(record.witnessServer);
  }

  /** True while an inbound connection from `server` is established. */
  hears(server: string): boolean {
    return (this.inbound.get(lower(server))?.size ?? 0) > 0;
  }

  /** mirroring_state_desc as this partner sees it. */
  stateOf(record: PartnerRecord, runtime: PartnerRuntime): MirroringStateDesc {
    if (!record.started || !this.connected(record, runtime)) return record.suspended && record.started ? "SUSPENDED" : "DISCONNECTED";
    if (record.suspended) return "SUSPENDED";
    if (record.role === "MIRROR") return runtime.reported;
    // "SYNCHRONIZED … the mirror database … is caught up"; in high-performance mode the state stays
    // SYNCHRONIZING (Mirroring States (SQL Server)).
    const last = this.engine.databases.get(record.database)?.lastLsn ?? null;
    if (record.safety === "FULL" && runtime.mirrorKnown && runtime.mirrorLsn === last) return "SYNCHRONIZED";
    return "SYNCHRONIZING";
  }

  /** The status the principal pushes. */
  statusOf(record: PartnerRecord, runtime: PartnerRuntime): SessionStatus {
    return {
      state: this.stateOf(record, runtime),
      safety: record.safety,
      safetySequence: record.safetySequence,
      timeoutSeconds: record.timeoutSeconds,
      witnessUrl: record.witnessUrl,
      witnessServer: record.witnessServer,
      suspended: record.suspended,
      suspendedSequence: record.suspendedSequence,
      roleSequence: record.roleSequence,
      failoverLsn: runtime.mirrorKnown ? lsnText(runtime.mirrorLsn) : record.failoverLsn,
    };
  }

  /** Where the local copy of `database` stands. */
  position(database: string): LogPosition {
    const last = this.engine.databases.get(database)?.lastLsn ?? null;
    if (last === null) return { lastLsn: null, lastDigest: null };
    const record = this.engine.databases.readLog(database, last - 1n).find((r) => r.lsn === last);
    return { lastLsn: last.toString(), lastDigest: record ? recordDigest(record) : null };
  }

  /**
   * Whether a copy at `position` continues the local log of `database`: `ok` when its last record is
   * one of the local records (the same record), `ahead` when it is past the local end, `diverged`
   * when the record there is another one or no longer in the log.
   */
  continues(database: string, position: LogPosition): "ok" | "ahead" | "diverged" {
    const local = this.engine.databases.get(database)?.lastLsn ?? null;
    const remote = lsnValue(position.lastLsn);
    if (remote === null) return local === null ? "ok" : "diverged";
    if (local === null || remote > local) return "ahead";
    const record = this.engine.databases.readLog(database, remote - 1n).find((r) => r.lsn === remote);
    if (!record) return "diverged";
    return position.lastDigest === null || recordDigest(record) === position.lastDigest ? "ok" : "diverged";
  }

  // ---------------------------------------------------------------------------------------------
  // Messaging

  /** A message from this instance about `database`. */
  message<T extends MirroringMessage["type"]>(database: string, body: Omit<Extract<MirroringMessage, { type: T }>, "db" | "from" | "fromUrl">): MirroringMessage {
    return { ...body, db: database, from: this.serverName, fromUrl: this.ownUrl } as MirroringMessage;
  }

  /** Sends a request on `via` (a link or a connection) and waits (bounded) for its reply; undefined when it could not be sent or no reply came. */
  async request(via: { send(channel: string, body: string): boolean }, message: MirroringMessage, timeoutMs = this.waitMs): Promise<Reply | undefined> {
    const id = randomUUID();
    const reply = new Promise<Reply | undefined>((resolve) => {
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      timer.unref?.();
      const finish = (r: Reply | undefined) => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(r);
      };
      this.pending.set(id, finish);
    });
    if (!via.send(CHANNEL, encodeMessage({ ...message, id }))) this.pending.get(id)?.(undefined);
    return reply;
  }

  /** Sends a message on `via`; false when it could not be. */
  send(via: { send(channel: string, body: string): boolean } | undefined, message: MirroringMessage): boolean {
    return via?.send(CHANNEL, encodeMessage(message)) ?? false;
  }

  /** Answers request `to` on `connection` (no-op for a message that is not a request). */
  reply(connection: EndpointConnection, to: MirroringMessage, ok: boolean, extra: { error?: { number: number; args: string[] }; data?: Record<string, unknown> } = {}): void {
    if (to.id === undefined) return;
    connection.send(CHANNEL, encodeMessage({ ...this.message<"reply">(to.db, { type: "reply", ok, ...extra }), id: to.id }));
  }

  /** Reads the messages of an outbound connection this instance opened for one exchange (it is closed by the caller). */
  listen(connection: EndpointConnection): void {
    connection.onMessage((m) => m.channel === CHANNEL && this.dispatch(m.body, connection));
  }

  /** An inbound connection was established: track it and read its messages. */
  private accepted(connection: EndpointConnection): void {
    const key = lower(connection.peer.serverName);
    const set = this.inbound.get(key) ?? new Set<EndpointConnection>();
    set.add(connection);
    this.inbound.set(key, set);
    connection.onMessage((m) => m.channel === CHANNEL && this.dispatch(m.body, connection));
    connection.onClose(() => {
      set.delete(connection);
      this.evaluateAll();
    });
    this.evaluateAll();
  }

  /** Handles one message, from an inbound connection or on one of this instance's links, then re-evaluates every session. */
  dispatch(body: Buffer, connection: EndpointConnection): void {
    const message = decodeMessage(body);
    if (!message || !this.running) return;
    try {
      this.handle(message, connection);
    } catch (error) {
      this.options.log?.(`Database mirroring: message '${message.type}' for database '${message.db}' from ${message.from} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.evaluateAll();
  }

  private handle(message: MirroringMessage, connection: EndpointConnection): void {
    if (message.type === "reply") {
      if (message.id !== undefined) this.pending.get(message.id)?.(message);
      return;
    }
    if (connection.direction === "inbound" && connection.peer.peerRole === "witness") return this.witness.handle(message, connection);
    const record = this.record(message.db);
    switch (message.type) {
      case "probe":
        return this.reply(connection, message, true, { data: this.describeCopy(message.db) });
      case "start":
        return this.started(message, connection);
      case "quorum":
      case "witnessOff":
        return;
    }
    if (!record || (record.started && message.guid !== record.guid)) {
      // A partner that still has a session this instance ended (while they were apart) ends it too.
      if (!record && message.type === "hello") this.send(connection, this.message<"off">(message.db, { type: "off", guid: message.guid }));
      return;
    }
    const runtime = this.runtime(record);
    record.partnerServer ??= message.from;
    switch (message.type) {
      case "log":
        return this.applyShipped(record, connection, () => {
          if (record.role === "MIRROR") this.engine.databases.applyLog(record.database, decodeLogRecords(message.records));
        });
      case "image":
        return this.applyShipped(record, connection, () => {
          if (record.role !== "MIRROR") return;
          this.engine.databases.restoreImage(decodeImage(message.image), { replace: true, state: "RESTORING" });
          this.markMirror(record.database);
        });
      case "ack":
        return this.acknowledged(record, runtime, message, connection);
      case "hello":
        return this.greeted(record, runtime, message, connection);
      case "status":
        return void this.statusReceived(record, runtime, message, connection);
      case "failover":
        return this.failoverRequested(record, runtime, message, connection);
      case "off":
        return this.endSession(record);
      case "suspend":
        if (record.role === "PRINCIPAL" && !record.suspended) {
          record.suspended = true;
          record.suspendedSequence++;
          this.save();
        }
        return this.reply(connection, message, true);
    }
  }

  /** The mirror's answer to a probe: what the principal checks before the session starts. */
  private describeCopy(database: string): Record<string, unknown> {
    const info = this.engine.databases.get(database);
    const record = this.record(database);
    if (!info) return { exists: false };
    return {
      exists: true,
      configured: record !== undefined && record.role === "MIRROR",
      started: record?.started ?? false,
      partnerUrl: record?.partnerUrl ?? null,
      state: info.state,
      recoveryModel: info.recoveryModel,
      familyGuid: info.familyGuid,
      nextLsn: info.nextLsn.toString(),
      ...this.position(database),
    };
  }

  /** Mirror: the principal starts the session. */
  private started(message: Extract<MirroringMessage, { type: "start" }>, connection: EndpointConnection): void {
    const record = this.record(message.db);
    if (!record || record.role !== "MIRROR") return this.reply(connection, message, false, { error: { number: 1416, args: [message.db] } });
    if (record.started && record.guid !== message.guid) return this.reply(connection, message, false, { error: { number: 1460, args: [message.db] } });
    Object.assign(record, { guid: message.guid, started: true, partnerServer: message.from });
    this.applyStatus(record, message.status);
    const runtime = this.runtime(record);
    runtime.reported = message.status.state;
    this.save();
    this.reply(connection, message, true);
    this.send(runtime.link, this.hello(record));
  }

  /** Mirror: applies shipped data, then tells the principal where its copy stands. */
  private applyShipped(record: PartnerRecord, connection: EndpointConnection, apply: () => void): void {
    try {
      apply();
    } catch (error) {
      // A gap: the ack below tells the principal where to resend from.
      this.options.log?.(`Database mirroring: database '${record.database}': ${error instanceof Error ? error.message : String(error)}`);
    }
    this.send(connection, this.message<"ack">(record.database, { type: "ack", guid: record.guid, ...this.position(record.database) }));
  }

  /** Principal: the mirror's position; sends what it misses. */
  private acknowledged(record: PartnerRecord, runtime: PartnerRuntime, position: LogPosition, via: { send(channel: string, body: string): boolean }): void {
    if (record.role !== "PRINCIPAL") return;
    const fit = this.continues(record.database, position);
    if (fit !== "ok") {
      runtime.mirrorKnown = false;
      if (!record.suspended) {
        this.options.log?.(`Database mirroring: the mirror copy of '${record.database}' does not continue the principal's log (${fit}); sending the database.`);
        this.send(via, this.message<"image">(record.database, { type: "image", guid: record.guid, image: encodeImage(this.engine.databases.createImage(record.database)) }));
      }
      return;
    }
    runtime.mirrorLsn = lsnValue(position.lastLsn);
    runtime.mirrorKnown = true;
    if (!record.suspended) this.catchUp(record, runtime, via);
  }

  /** Principal: sends the records the mirror does not have yet. */
  catchUp(record: PartnerRecord, runtime: PartnerRuntime, via: { send(channel: string, body: string): boolean } = runtime.link): void {
    if (!runtime.mirrorKnown) return;
    const missing = this.engine.databases.readLog(record.database, runtime.mirrorLsn);
    if (missing.length > 0) this.send(via, this.message<"log">(record.database, { type: "log", guid: record.guid, records: encodeLogRecords(missing) }));
  }

  /** A partner announced itself on (re)connecting. */
  private greeted(record: PartnerRecord, runtime: PartnerRuntime, hello: Extract<MirroringMessage, { type: "hello" }>, connection: EndpointConnection): void {
    if (hello.role === "PRINCIPAL" && record.role === "PRINCIPAL") {
      // Two principals after an automatic failover: the later role sequence wins (the old principal becomes the mirror).
      if (hello.roleSequence > record.roleSequence) this.demote(record, runtime, hello.roleSequence);
      else if (hello.roleSequence < record.roleSequence) this.send(connection, this.hello(record));
      else return;
    }
    if (hello.role === "PRINCIPAL" && record.role === "MIRROR") {
      record.roleSequence = Math.max(record.roleSequence, hello.roleSequence);
      this.send(connection, this.message<"ack">(record.database, { type: "ack", guid: record.guid, ...this.position(record.database) }));
      return;
    }
    if (hello.role === "MIRROR" && record.role === "PRINCIPAL") this.acknowledged(record, runtime, hello, connection);
  }

  /** Mirror: the principal's settings and state. */
  private async statusReceived(record: PartnerRecord, runtime: PartnerRuntime, message: Extract<MirroringMessage, { type: "status" }>, connection: EndpointConnection): Promise<void> {
    if (record.role !== "MIRROR") return this.reply(connection, message, false, { error: { number: 1404, args: [] } });
    const witnessBefore = record.witnessUrl;
    this.applyStatus(record, message.status);
    runtime.reported = message.status.state;
    this.save();
    if (lower(witnessBefore ?? "") !== lower(record.witnessUrl ?? "")) this.followWitness(record, runtime);
    if (message.id === undefined) return;
    if (record.witnessUrl !== null && witnessBefore === null) {
      const joined = await this.waitUntil(() => this.witnessConnected(record, runtime));
      if (!joined) return this.reply(connection, message, false, { error: { number: 1426, args: [] } });
    }
    this.reply(connection, message, true);
  }

  /** Copies a status's settings into a mirror's record. */
  private applyStatus(record: PartnerRecord, status: SessionStatus): void {
    Object.assign(record, {
      safety: status.safety,
      safetySequence: status.safetySequence,
      timeoutSeconds: status.timeoutSeconds,
      witnessUrl: status.witnessUrl,
      suspended: status.suspended,
      suspendedSequence: status.suspendedSequence,
      roleSequence: Math.max(record.roleSequence, status.roleSequence),
      failoverLsn: status.failoverLsn,
    });
    record.witnessServer = status.witnessUrl === null ? null : status.witnessServer;
  }

  /** Mirror: a planned failover (SET PARTNER FAILOVER on the principal). */
  private failoverRequested(record: PartnerRecord, runtime: PartnerRuntime, message: Extract<MirroringMessage, { type: "failover" }>, connection: EndpointConnection): void {
    if (record.role !== "MIRROR") return this.reply(connection, message, false, { error: { number: 1404, args: [] } });
    if (lsnText(this.engine.databases.get(record.database)?.lastLsn ?? null) !== message.lastLsn) {
      return this.reply(connection, message, false, { error: { number: 1422, args: [record.database] } });
    }
    this.promote(record, runtime, "a manual failover");
    this.reply(connection, message, true, { data: { roleSequence: record.roleSequence } });
  }

  /** This copy becomes the principal: ONLINE and writable (a failover). */
  promote(record: PartnerRecord, runtime: PartnerRuntime, reason: string): void {
    record.role = "PRINCIPAL";
    record.roleSequence++;
    const last = this.engine.databases.get(record.database)?.lastLsn ?? null;
    record.failoverLsn = lsnText(last);
    runtime.mirrorLsn = last;
    runtime.mirrorKnown = false;
    runtime.wasSynchronized = false;
    runtime.pushed = runtime.pushedToWitness = undefined;
    this.engine.databases.setAccess(record.database, { kind: "readWrite" });
    this.engine.databases.setState(record.database, "ONLINE");
    this.save();
    this.options.log?.(messageText(1480, record.database, "MIRROR", "PRINCIPAL", reason));
    this.send(runtime.link, this.hello(record));
  }

  /** This copy becomes the mirror: RESTORING and closed to sessions (954). */
  demote(record: PartnerRecord, runtime: PartnerRuntime, roleSequence: number): void {
    record.role = "MIRROR";
    record.roleSequence = roleSequence;
    runtime.mirrorKnown = false;
    runtime.reported = "SYNCHRONIZING";
    runtime.pushed = runtime.pushedToWitness = undefined;
    this.markMirror(record.database);
    this.save();
    this.options.log?.(messageText(1480, record.database, "PRINCIPAL", "MIRROR", "a failover on the partner"));
    this.send(runtime.link, this.message<"ack">(record.database, { type: "ack", guid: record.guid, ...this.position(record.database) }));
  }

  /** Makes a copy the mirror copy: RESTORING, and every use refused with 954. */
  markMirror(database: string): void {
    const layer = this.engine.databases;
    if (layer.get(database)?.state !== "RESTORING") layer.setState(database, "RESTORING");
    layer.setAccess(database, { kind: "notAccessible", error: accessError(954, messageText(954, database)) });
  }

  /** The hello this partner sends on connecting. */
  hello(record: PartnerRecord): MirroringMessage {
    return this.message<"hello">(record.database, { type: "hello", guid: record.guid, role: record.role, roleSequence: record.roleSequence, ...this.position(record.database) });
  }

  // ---------------------------------------------------------------------------------------------
  // Runtime: links, shipping, state pushes, automatic failover

  private startRuntime(record: PartnerRecord): PartnerRuntime {
    const link = this.options.hadr.openLink(record.partnerUrl, { role: "partner", peerRole: "partner", retry: { initialMs: 100, maxMs: 1000 } });
    const runtime: PartnerRuntime = { link, mirrorLsn: null, mirrorKnown: false, reported: "SYNCHRONIZING", wasSynchronized: false, takingOver: false };
    this.runtimes.set(lower(record.database), runtime);
    link.onMessage((m, c) => m.channel === CHANNEL && this.dispatch(m.body, c));
    link.onState((state) => {
      if (state.status === "connected" && this.running && this.record(record.database) === record) {
        runtime.pushed = undefined;
        if (record.started) this.send(link, this.hello(record));
      }
      this.evaluateAll();
    });
    this.followWitness(record, runtime);
    if (record.role === "MIRROR") this.markMirror(record.database);
    return runtime;
  }

  /** Opens, replaces or closes the link to the witness as the record says. */
  followWitness(record: PartnerRecord, runtime: PartnerRuntime): void {
    if (runtime.witnessLink && (record.witnessUrl === null || lower(runtime.witnessLink.url) !== lower(record.witnessUrl))) {
      runtime.witnessLink.close();
      delete runtime.witnessLink;
    }
    if (record.witnessUrl === null || runtime.witnessLink || !this.running) return;
    const link = this.options.hadr.openLink(record.witnessUrl, { role: "partner", peerRole: "witness", retry: { initialMs: 100, maxMs: 1000 } });
    runtime.witnessLink = link;
    runtime.pushedToWitness = undefined;
    link.onMessage((m, c) => {
      if (m.channel !== CHANNEL) return;
      const reply = decodeMessage(m.body);
      // The witness names itself in its replies.
      if (reply?.type === "reply" && lower(reply.db) === lower(record.database)) record.witnessServer ??= reply.from;
      this.dispatch(m.body, c);
    });
    link.onState((state) => {
      if (state.status === "connected") runtime.pushedToWitness = undefined;
      this.evaluateAll();
    });
  }

  private closeRuntime(runtime: PartnerRuntime): void {
    runtime.link.close();
    runtime.witnessLink?.close();
  }

  /** A transaction committed: the principal ships its records. */
  private committed(event: DatabaseCommitEvent): void {
    if (event.origin !== "session") return;
    const record = this.record(event.database);
    if (!record || record.role !== "PRINCIPAL" || !record.started || record.suspended) return;
    const runtime = this.runtimes.get(lower(record.database));
    if (!runtime) return;
    if (runtime.link.connected) this.send(runtime.link, this.message<"log">(record.database, { type: "log", guid: record.guid, records: encodeLogRecords(event.records) }));
    this.evaluateAll();
  }

  /**
   * After a commit, before the statement's reply (the engine awaits its committed-change listeners):
   * under SAFETY FULL, while the partners are connected, the reply waits until the mirror has
   * confirmed the principal's last LSN — "the principal … waits for the mirror to acknowledge"
   * (Database Mirroring Operating Modes, high-safety mode) — bounded by the session's TIMEOUT.
   */
  private async hardened(): Promise<void> {
    const waits: Array<Promise<void>> = [];
    for (const record of this.state.partners) {
      if (record.role !== "PRINCIPAL" || !record.started || record.suspended || record.safety !== "FULL") continue;
      const runtime = this.runtimes.get(lower(record.database));
      const last = this.engineRef?.databases.get(record.database)?.lastLsn ?? null;
      if (!runtime || last === null || !this.connected(record, runtime)) continue;
      const done = () => !this.running || this.record(record.database) !== record || !this.connected(record, runtime) || (runtime.mirrorKnown && runtime.mirrorLsn !== null && runtime.mirrorLsn >= last);
      if (done()) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => waiter.release(), record.timeoutSeconds * 1000);
          timer.unref?.();
          const waiter = {
            done,
            release: () => {
              clearTimeout(timer);
              this.hardening = this.hardening.filter((w) => w !== waiter);
              resolve();
            },
          };
          this.hardening.push(waiter);
        }),
      );
    }
    await Promise.all(waits);
  }

  /** Pushes changed states and starts automatic failovers, for every session. */
  evaluateAll(): void {
    for (const waiter of this.hardening.filter((w) => w.done())) waiter.release();
    if (!this.running || !this.engineRef) return;
    for (const record of this.state.partners) {
      const runtime = this.runtimes.get(lower(record.database));
      if (runtime && record.started) this.evaluate(record, runtime);
    }
  }

  private evaluate(record: PartnerRecord, runtime: PartnerRuntime): void {
    if (record.role === "PRINCIPAL") {
      this.followQuorum(record, runtime);
      const status = this.statusOf(record, runtime);
      const key = JSON.stringify(status);
      if (key !== runtime.pushed && this.connected(record, runtime)) {
        if (this.send(runtime.link, this.message<"status">(record.database, { type: "status", guid: record.guid, status }))) runtime.pushed = key;
      }
      if (runtime.witnessLink?.connected && key !== runtime.pushedToWitness) {
        runtime.pushedToWitness = key;
        void this.reportToWitness(record, runtime, status);
      }
      return;
    }
    // Mirror: automatic failover needs a witness, safety FULL and a session that was synchronized
    // ("Automatic Failover", role-switching-during-a-database-mirroring-session-sql-server.md).
    if (this.connected(record, runtime)) {
      runtime.wasSynchronized = runtime.reported === "SYNCHRONIZED";
      return;
    }
    if (record.witnessUrl !== null && record.safety === "FULL" && !record.suspended && runtime.wasSynchronized && !runtime.takingOver) {
      void this.takeOver(record, runtime);
    }
  }

  /**
   * Principal with a witness: "quorum is required to serve the database, regardless of the SAFETY
   * setting" (ALTER DATABASE Database Mirroring; "Quorum: How a Witness Affects Database
   * Availability"): without the mirror and without the witness its copy refuses every use with 955
   * until one of them is back.
   */
  private followQuorum(record: PartnerRecord, runtime: PartnerRuntime): void {
    const layer = this.engine.databases;
    const access = layer.get(record.database)?.access;
    const lacking = access?.kind === "notAccessible" && access.error.number === 955;
    if (access === undefined || (access.kind !== "readWrite" && !lacking)) return;
    const quorum = record.witnessUrl === null || this.connected(record, runtime) || this.witnessConnected(record, runtime);
    if (!quorum && !lacking) layer.setAccess(record.database, { kind: "notAccessible", error: accessError(955, messageText(955, record.database)) });
    else if (quorum && lacking) layer.setAccess(record.database, { kind: "readWrite" });
  }

  /** Principal: tells the witness about the session; a witness that knows a later role sequence makes this copy the mirror. */
  private async reportToWitness(record: PartnerRecord, runtime: PartnerRuntime, status: SessionStatus): Promise<void> {
    const link = runtime.witnessLink;
    if (!link) return;
    const reply = await this.request(
      link,
      this.message<"status">(record.database, { type: "status", guid: record.guid, status, ...(record.partnerServer ? { mirrorServer: record.partnerServer } : {}), mirrorUrl: record.partnerUrl, familyGuid: record.familyGuid }),
    );
    if (!reply || !this.running || this.record(record.database) !== record) return;
    record.witnessServer ??= reply.from;
    const known = Number(reply.data?.["roleSequence"] ?? 0);
    if (reply.ok && record.role === "PRINCIPAL" && known > record.roleSequence) this.demote(record, runtime, known);
  }

  /**
   * Mirror, principal lost: the mirror and the witness agree the principal is gone (quorum), then
   * the mirror becomes the principal. Connection losses are hard errors, seen at once ("Possible
   * Failures During Database Mirroring"); the attempt lasts at most the session's TIMEOUT.
   */
  private async takeOver(record: PartnerRecord, runtime: PartnerRuntime): Promise<void> {
    runtime.takingOver = true;
    try {
      const deadline = Date.now() + record.timeoutSeconds * 1000;
      while (Date.now() < deadline && this.running && this.record(record.database) === record && record.role === "MIRROR") {
        if (this.connected(record, runtime)) return;
        if (runtime.witnessLink?.connected && record.partnerServer !== null) {
          const reply = await this.request(runtime.witnessLink, this.message<"quorum">(record.database, { type: "quorum", guid: record.guid, principalServer: record.partnerServer }), 1000);
          if (reply?.ok && reply.data?.["principalConnected"] === false && !this.connected(record, runtime) && record.role === "MIRROR") {
            this.promote(record, runtime, "an automatic failover");
            this.evaluateAll();
            return;
          }
        }
        await sleep(POLL_MS * 2, undefined, { ref: false });
      }
    } finally {
      runtime.takingOver = false;
    }
  }

  /** Polls `condition` every 10 ms until it holds or {@link waitMs} passes. */
  async waitUntil(condition: () => boolean, timeoutMs = this.waitMs): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (condition()) return true;
      if (Date.now() >= deadline || !this.running) return false;
      await sleep(POLL_MS, undefined, { ref: false });
    }
  }
}

/**
 * Availability groups over the live endpoint connections. On the primary, one Link per secondary
 * (`ConnectionManager.openLink` to its ENDPOINT_URL) carries the group's configuration (at every
 * connect and every change), automatic seeding (an image of each database, once the secondary has
 * joined and granted CREATE ANY DATABASE) and the log records of every commit (and, after a
 * reconnect, what the secondary has not had yet). A secondary answers on the same connection with
 * its status (joined, granted, each copy's last LSN) and acknowledgements, and keeps a link of its
 * own to the primary's endpoint, so a trust broken in either direction shows. What each side sees
 * goes into the engine's availability-group layer, which the sys.dm_hadr_* views read.
 *
 * The engine stays free of networking: this module calls `engine.availabilityGroups` and
 * `engine.databases` (readLog / onCommit / applyLog / createImage / restoreImage) only.
 */
import { randomUUID } from "node:crypto";
import type { Engine } from "../../engine/engine";
import type { GroupConfig, GroupRecord, ReplicaConfig } from "../../engine/availabilityGroups/model";
import { decodeImage, decodeLogRecords, encodeImage, encodeLogRecords, type DatabaseCommitEvent } from "../../engine/databases";
import type { EndpointConnection } from "../connection";
import type { Link, LinkState } from "../link";
import type { ConnectionManager } from "../manager";
import { AG_CHANNEL, decodeAgMessage, encodeAgMessage, type AgMessage, type ReplicaStatus } from "./messages";

/** Retry bounds of the replicas' links, ms (the Link's backoff: first retry, ceiling). */
export const AG_LINK_RETRY = { initialMs: 50, maxMs: 1000 } as const;
/** How long a CREATE / ADD REPLICA waits for a new secondary's link before it answers, ms (bounded; the link keeps trying after). */
export const NEW_PEER_WAIT_MS = 1000;

/** The primary's view of one secondary. */
interface Peer {
  groupId: string;
  replicaId: string;
  url: string;
  link: Link;
  /** The configuration sequence last sent on the current connection (0: none). */
  sentSequence: number;
  /** The secondary's last status. */
  status?: ReplicaStatus;
  /** The copies' last acknowledged LSN, by group_database_id. */
  lsn: Map<string, bigint | null>;
  /** group_database_ids being seeded now. */
  seeding: Set<string>;
  /** group_database_ids whose seeding failed on this connection (tried again after a reconnect). */
  failedSeeds: Set<string>;
  unsubscribe: Array<() => void>;
}

/** A secondary's view of its primary, per group name. */
interface Upstream {
  /** The connection the primary opened to us (messages come and replies go on it). */
  connection?: EndpointConnection;
  /** Our own link to the primary's endpoint. */
  link?: Link;
  url?: string;
}

const toLsn = (text: string | null | undefined): bigint | null => (text === null || text === undefined ? null : BigInt(text));

/** One instance's availability-group replication (created with the instance, attached to each engine it runs). */
export class AvailabilityGroupReplication {
  private engine?: Engine;
  private readonly peers = new Map<string, Peer>();
  private readonly upstream = new Map<string, Upstream>();
  private unsubscribe: Array<() => void> = [];
  private reconciling: Promise<void> = Promise.resolve();

  constructor(private readonly hadr: ConnectionManager) {
    hadr.onConnection((connection) => this.accept(connection));
  }

  /** (Re)starts on `engine`: nothing is connected yet; links open as the groups say. */
  async attach(engine: Engine): Promise<void> {
    this.detach();
    this.engine = engine;
    engine.availabilityGroups.clearLiveState();
    this.unsubscribe = [engine.onCommitted(() => this.reconcile()), engine.databases.onCommit((event) => this.ship(event))];
    await this.reconcile();
  }

  /** Stops following the engine and closes every link (stop, restart). */
  detach(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const peer of this.peers.values()) this.closePeer(peer);
    this.peers.clear();
    for (const up of this.upstream.values()) up.link?.close();
    this.upstream.clear();
    this.engine = undefined;
  }

  private get layer() {
    return this.engine!.availabilityGroups;
  }

  /** Serialized: each pass brings links and states in line with the catalog. */
  reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.reconcileOnce()).catch(() => undefined);
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    if (!this.engine) return;
    const layer = this.layer;
    const wanted = new Set<string>();
    const fresh: Peer[] = [];
    for (const g of layer.list()) {
      if (layer.isPrimary(g)) {
        for (const r of g.config.replicas) {
          if (r.id === g.localReplicaId) continue;
          const key = `${g.config.id}/${r.id}`;
          wanted.add(key);
          let peer = this.peers.get(key);
          if (peer && peer.url.toLowerCase() !== r.endpointUrl.toLowerCase()) {
            this.closePeer(peer);
            this.peers.delete(key);
            peer = undefined;
          }
          if (!peer) {
            peer = this.openPeer(g, r);
            this.peers.set(key, peer);
            fresh.push(peer);
          } else if (peer.link.connected && peer.sentSequence < g.config.sequence) this.sendConfig(peer, g.config);
          this.updatePeerState(peer);
        }
      } else {
        this.followPrimary(g);
        this.report(g.config.name);
      }
    }
    for (const [key, peer] of this.peers) {
      if (wanted.has(key)) continue;
      // A replica removed from a group (or a dropped group): it hears the last configuration first.
      const g = layer.byId(peer.groupId);
      if (g && peer.link.connected) this.sendConfig(peer, g.config);
      this.closePeer(peer);
      this.peers.delete(key);
    }
    for (const [name, up] of this.upstream) {
      const g = layer.byName(name);
      if (!g || layer.isPrimary(g)) {
        up.link?.close();
        up.link = undefined;
      }
      if (!g && !up.connection?.open) this.upstream.delete(name);
    }
    // A statement that added a secondary answers once that secondary has heard of the group (its
    // first status came back), so a JOIN sent next finds the configuration; bounded.
    await Promise.all(fresh.map((p) => this.heardBack(p)));
  }

  // ----------------------------------------------------------------------------------------------
  // Primary side
  // ----------------------------------------------------------------------------------------------

  private async heardBack(peer: Peer): Promise<void> {
    const deadline = Date.now() + NEW_PEER_WAIT_MS;
    while (peer.status === undefined && Date.now() < deadline && this.peers.get(`${peer.groupId}/${peer.replicaId}`) === peer) {
      await new Promise((resolve) => setTimeout(resolve, 5).unref());
    }
  }

  private openPeer(g: GroupRecord, r: ReplicaConfig): Peer {
    const link = this.hadr.openLink(r.endpointUrl, { role: "replica", retry: AG_LINK_RETRY });
    const peer: Peer = { groupId: g.config.id, replicaId: r.id, url: r.endpointUrl, link, sentSequence: 0, lsn: new Map(), seeding: new Set(), failedSeeds: new Set(), unsubscribe: [] };
    peer.unsubscribe.push(
      link.onState((state) => this.peerStateChanged(peer, state)),
      link.onMessage((message) => {
        if (message.channel !== AG_CHANNEL) return;
        const m = decodeAgMessage(message.body);
        if (m) this.fromSecondary(peer, m);
      }),
    );
    if (link.connected) this.peerStateChanged(peer, link.state);
    return peer;
  }

  private closePeer(peer: Peer): void {
    for (const u of peer.unsubscribe.splice(0)) u();
    peer.link.close();
  }

  private peerGroup(peer: Peer): GroupRecord | undefined {
    if (!this.engine) return undefined;
    const g = this.layer.byId(peer.groupId);
    return g && this.layer.isPrimary(g) ? g : undefined;
  }

  private peerStateChanged(peer: Peer, state: LinkState): void {
    const g = this.peerGroup(peer);
    if (!g) return;
    if (state.status === "connected") {
      peer.sentSequence = 0;
      peer.seeding.clear();
      peer.failedSeeds.clear();
      this.sendConfig(peer, g.config);
    } else {
      peer.status = undefined;
    }
    this.updatePeerState(peer);
  }

  private sendConfig(peer: Peer, config: GroupConfig): void {
    if (peer.link.send(AG_CHANNEL, encodeAgMessage({ t: "config", config }))) peer.sentSequence = config.sequence;
  }

  /** The secondary's row on the primary: connected when our link is and its link to us is; the latest error either side saw. */
  private updatePeerState(peer: Peer): void {
    const g = this.peerGroup(peer);
    if (!g) return;
    const link = peer.link.state;
    const remote = peer.status?.toPrimary;
    const errors = [link.lastError && { number: link.lastError.number, description: link.lastError.message, at: link.lastError.at }, remote?.lastError].filter(
      (e): e is { number: number; description: string; at: Date } => e !== undefined,
    );
    const lastConnectError = errors.sort((a, b) => new Date(b.at).getTime() - new Date(a.at).getTime())[0];
    const connected = link.status === "connected" && peer.status !== undefined && peer.status.groupId === g.config.id && remote?.connected === true;
    this.layer.setReplicaState(g.config.id, peer.replicaId, { connected, ...(lastConnectError ? { lastConnectError } : {}), joined: peer.status?.joined === true });
    this.updateCopies(peer, g);
  }

  /** Each copy's synchronization state on the secondary, from its acknowledged LSN against ours. */
  private updateCopies(peer: Peer, g: GroupRecord): void {
    const replica = g.config.replicas.find((r) => r.id === peer.replicaId);
    if (!replica) return;
    for (const d of g.config.databases) {
      const local = this.engine!.databases.get(d.name);
      const has = peer.lsn.has(d.groupDatabaseId);
      const lsn = peer.lsn.get(d.groupDatabaseId) ?? null;
      const caughtUp = has && local !== undefined && lsn === local.lastLsn;
      const state = !has || !peer.link.connected ? "NOT SYNCHRONIZING" : caughtUp && replica.availabilityMode === "SYNCHRONOUS_COMMIT" ? "SYNCHRONIZED" : "SYNCHRONIZING";
      const before = this.layer.databaseState(g.config.id, peer.replicaId, d.groupDatabaseId);
      this.layer.setDatabaseState(g.config.id, peer.replicaId, d.groupDatabaseId, { ...before, synchronizationState: state, lastHardenedLsn: has ? lsn : null });
    }
  }

  private fromSecondary(peer: Peer, m: AgMessage): void {
    const g = this.peerGroup(peer);
    if (!g) return;
    if (m.t === "status") {
      peer.status = m;
      peer.lsn = new Map(m.databases.map((d) => [d.groupDatabaseId, toLsn(d.lastLsn)]));
      if (m.groupId === g.config.id && m.joined) this.catchUp(peer, g);
    } else if (m.t === "ack") {
      peer.lsn.set(m.groupDatabaseId, toLsn(m.lastLsn));
      const before = this.layer.databaseState(g.config.id, peer.replicaId, m.groupDatabaseId);
      if (before) this.layer.setDatabaseState(g.config.id, peer.replicaId, m.groupDatabaseId, { ...before, lastReceived: this.engine!.now() });
    } else if (m.t === "seeded") {
      const attempt = this.layer.seeding().find((a) => a.operationId === m.operationId);
      if (attempt) {
        peer.seeding.delete(attempt.groupDatabaseId);
        if (m.errorCode !== 0) peer.failedSeeds.add(attempt.groupDatabaseId);
        this.layer.recordSeeding({
          ...attempt,
          completionTime: this.engine!.now(),
          currentState: m.errorCode === 0 ? "COMPLETED" : "FAILED",
          failureState: m.errorCode === 0 ? 0 : 2,
          failureStateDesc: m.errorCode === 0 ? null : "Failed seeding",
          errorCode: m.errorCode,
        });
      }
    }
    this.updatePeerState(peer);
  }

  /** Sends a joined secondary what it lacks: an image for each copy it has not got (automatic seeding, once granted), log records for each copy that is behind. */
  private catchUp(peer: Peer, g: GroupRecord): void {
    const replica = g.config.replicas.find((r) => r.id === peer.replicaId);
    if (!replica || replica.availabilityMode === "CONFIGURATION_ONLY") return;
    // The configuration goes first: messages keep their order, so the secondary knows every database it is sent.
    if (peer.sentSequence < g.config.sequence) this.sendConfig(peer, g.config);
    for (const d of g.config.databases) {
      const local = this.engine!.databases.get(d.name);
      if (!local || local.groupDatabaseId !== d.groupDatabaseId) continue;
      if (!peer.lsn.has(d.groupDatabaseId)) {
        const due = !peer.seeding.has(d.groupDatabaseId) && !peer.failedSeeds.has(d.groupDatabaseId);
        if (replica.seedingMode === "AUTOMATIC" && peer.status?.createAnyDatabase && due) this.seed(peer, g, d.name, d.groupDatabaseId);
        continue;
      }
      const lsn = peer.lsn.get(d.groupDatabaseId) ?? null;
      if (lsn === local.lastLsn) continue;
      const records = this.engine!.databases.readLog(d.name, lsn);
      if (records.length > 0) this.sendLog(peer, g, d.name, d.groupDatabaseId, encodeLogRecords(records));
    }
  }

  private seed(peer: Peer, g: GroupRecord, database: string, groupDatabaseId: string): void {
    const operationId = randomUUID().toUpperCase();
    const now = this.engine!.now();
    peer.seeding.add(groupDatabaseId);
    this.layer.recordSeeding({
      operationId, groupId: g.config.id, groupDatabaseId, remoteReplicaId: peer.replicaId, isSource: true, startTime: now, completionTime: null,
      currentState: "SEEDING", failureState: 0, failureStateDesc: null, errorCode: 0, attempts: 1,
    });
    const image = encodeImage(this.engine!.databases.createImage(database));
    if (!peer.link.send(AG_CHANNEL, encodeAgMessage({ t: "seed", group: g.config.name, groupDatabaseId, database, operationId, image }))) peer.seeding.delete(groupDatabaseId);
  }

  private sendLog(peer: Peer, g: GroupRecord, database: string, groupDatabaseId: string, records: string): void {
    if (peer.link.send(AG_CHANNEL, encodeAgMessage({ t: "log", group: g.config.name, groupDatabaseId, database, records }))) {
      const before = this.layer.databaseState(g.config.id, peer.replicaId, groupDatabaseId);
      if (before) this.layer.setDatabaseState(g.config.id, peer.replicaId, groupDatabaseId, { ...before, lastSent: this.engine!.now() });
    }
  }

  /** A commit on a primary database goes to every secondary that holds a copy. */
  private ship(event: DatabaseCommitEvent): void {
    if (!this.engine || event.origin === "apply") return;
    const db = this.engine.databases.get(event.database);
    if (!db?.groupDatabaseId) return;
    for (const peer of this.peers.values()) {
      const g = this.peerGroup(peer);
      if (!g || !g.config.databases.some((d) => d.groupDatabaseId === db.groupDatabaseId) || !peer.lsn.has(db.groupDatabaseId)) continue;
      this.sendLog(peer, g, db.name, db.groupDatabaseId, encodeLogRecords(event.records));
      this.updatePeerState(peer);
    }
  }

  // ----------------------------------------------------------------------------------------------
  // Secondary side
  // ----------------------------------------------------------------------------------------------

  /** Every connection a primary opens to us: its `ag` messages are served, the replies go back on it. */
  private accept(connection: EndpointConnection): void {
    connection.onMessage((message) => {
      if (message.channel !== AG_CHANNEL || !this.engine) return;
      const m = decodeAgMessage(message.body);
      if (m) this.fromPrimary(connection, m);
    });
    connection.onClose(() => {
      for (const [name, up] of this.upstream) {
        if (up.connection === connection) {
          up.connection = undefined;
          const g = this.engine && this.layer.byName(name);
          if (g) this.updateLocalState(g);
        }
      }
    });
  }

  private fromPrimary(connection: EndpointConnection, m: AgMessage): void {
    const layer = this.layer;
    if (m.t === "config") {
      const up = this.upstreamFor(m.config.name);
      up.connection = connection;
      layer.applyConfiguration(m.config);
      const g = layer.byName(m.config.name);
      if (g && !layer.isPrimary(g)) this.followPrimary(g);
      this.report(m.config.name);
      return;
    }
    if (m.t === "seed") {
      const g = layer.byName(m.group);
      let errorCode = 0;
      const db = this.engine!.databases.get(m.database);
      const now = this.engine!.now();
      // Automatic seeding creates the copy only where the group may create databases (GRANT CREATE ANY
      // DATABASE, else 262 as CREATE DATABASE without permission), never over an existing database (1801).
      if (!g || layer.isPrimary(g) || !g.joined || !g.createAnyDatabase) errorCode = 262;
      else if (!g.config.databases.some((d) => d.groupDatabaseId === m.groupDatabaseId)) errorCode = 41132;
      else if (db && db.groupDatabaseId !== m.groupDatabaseId) errorCode = 1801;
      else if (!db) {
        this.engine!.databases.restoreImage(decodeImage(m.image), { name: m.database, state: "RESTORING" });
        layer.joinDatabase(g, m.database);
      }
      if (g) {
        layer.recordSeeding({
          operationId: m.operationId, groupId: g.config.id, groupDatabaseId: m.groupDatabaseId, remoteReplicaId: g.config.primaryReplicaId, isSource: false,
          startTime: now, completionTime: now, currentState: errorCode === 0 ? "COMPLETED" : "FAILED", failureState: errorCode === 0 ? 0 : 2,
          failureStateDesc: errorCode === 0 ? null : "Failed seeding", errorCode, attempts: 1,
        });
      }
      connection.send(AG_CHANNEL, encodeAgMessage({ t: "seeded", group: m.group, operationId: m.operationId, errorCode }));
      this.report(m.group);
      return;
    }
    if (m.t === "log") {
      const g = layer.byName(m.group);
      const db = this.engine!.databases.get(m.database);
      if (!g || layer.isPrimary(g) || db?.groupDatabaseId !== m.groupDatabaseId) return;
      try {
        const result = this.engine!.databases.applyLog(m.database, decodeLogRecords(m.records));
        connection.send(AG_CHANNEL, encodeAgMessage({ t: "ack", group: m.group, groupDatabaseId: m.groupDatabaseId, lastLsn: result.lastLsn === null ? null : result.lastLsn.toString() }));
        this.setLocalCopy(g, m.groupDatabaseId, result.lastLsn);
      } catch {
        // A gap (a block lost while disconnected): the status says where this copy is, the primary resends from there.
        this.report(m.group);
      }
    }
  }

  private upstreamFor(name: string): Upstream {
    const key = name.toLowerCase();
    let up = this.upstream.get(key);
    if (!up) {
      up = {};
      this.upstream.set(key, up);
    }
    return up;
  }

  /** A secondary keeps its own link to the primary's endpoint (its half of the replica's connection). */
  private followPrimary(g: GroupRecord): void {
    const up = this.upstreamFor(g.config.name);
    const primary = g.config.replicas.find((r) => r.id === g.config.primaryReplicaId);
    if (!g.joined || !primary) return;
    if (up.link && up.url?.toLowerCase() !== primary.endpointUrl.toLowerCase()) {
      up.link.close();
      up.link = undefined;
    }
    if (!up.link) {
      up.url = primary.endpointUrl;
      up.link = this.hadr.openLink(primary.endpointUrl, { role: "replica", retry: AG_LINK_RETRY });
      const name = g.config.name;
      up.link.onState(() => {
        const current = this.engine && this.layer.byName(name);
        if (current) {
          this.updateLocalState(current);
          this.report(name);
        }
      });
    }
    this.updateLocalState(g);
  }

  /** The local replica's row on a secondary: connected while the primary's connection and our link to it both are. */
  private updateLocalState(g: GroupRecord): void {
    if (this.layer.isPrimary(g)) return;
    const up = this.upstream.get(g.config.name.toLowerCase());
    const link = up?.link?.state;
    const connected = up?.connection?.open === true && link?.status === "connected";
    const e = link?.lastError;
    this.layer.setReplicaState(g.config.id, g.localReplicaId, { connected, ...(e ? { lastConnectError: { number: e.number, description: e.message, at: e.at } } : {}) });
    for (const d of g.config.databases) {
      const db = this.engine!.databases.get(d.name);
      if (db?.groupDatabaseId === d.groupDatabaseId) this.setLocalCopy(g, d.groupDatabaseId, db.lastLsn);
    }
  }

  private setLocalCopy(g: GroupRecord, groupDatabaseId: string, lsn: bigint | null): void {
    const connected = this.layer.replicaState(g.config.id, g.localReplicaId)?.connected === true;
    const local = this.layer.localReplica(g);
    const state = !connected ? "NOT SYNCHRONIZING" : local?.availabilityMode === "SYNCHRONOUS_COMMIT" ? "SYNCHRONIZED" : "SYNCHRONIZING";
    const before = this.layer.databaseState(g.config.id, g.localReplicaId, groupDatabaseId);
    this.layer.setDatabaseState(g.config.id, g.localReplicaId, groupDatabaseId, { ...before, synchronizationState: state, lastHardenedLsn: lsn, lastReceived: this.engine!.now() });
  }

  /** Sends the secondary's status to its primary (on the primary's connection, when there is one). */
  private report(name: string): void {
    if (!this.engine) return;
    const up = this.upstream.get(name.toLowerCase());
    if (!up?.connection?.open) return;
    const g = this.layer.byName(name);
    const link = up.link?.state;
    const status: ReplicaStatus = {
      t: "status",
      group: name,
      groupId: g && g.joined ? g.config.id : null,
      joined: g?.joined === true,
      createAnyDatabase: g?.createAnyDatabase === true,
      toPrimary: {
        connected: link?.status === "connected",
        ...(link?.lastError ? { lastError: { number: link.lastError.number, description: link.lastError.message, at: link.lastError.at } } : {}),
      },
      databases: (g?.config.databases ?? []).flatMap((d) => {
        const db = this.engine!.databases.get(d.name);
        return db?.groupDatabaseId === d.groupDatabaseId ? [{ groupDatabaseId: d.groupDatabaseId, lastLsn: db.lastLsn === null ? null : db.lastLsn.toString() }] : [];
      }),
    };
    up.connection.send(AG_CHANNEL, encodeAgMessage(status));
    if (g) this.updateLocalState(g);
  }

}

/**
 * The engine's side of availability groups (`engine.availabilityGroups`): the groups this instance
 * hosts a replica of (their configuration, persisted in master.json), the live state the hadr/ layer
 * reports (connections, copies, seeding: memory only), and what a replica does to its own databases
 * when its role or the configuration changes. No networking here: the hadr/ layer carries
 * configurations, images and log records between instances and calls these methods.
 */
import type { Catalog } from "../catalog";
import { sameName } from "../collation";
import { accessError, type DatabaseLayer } from "../databases";
import { messageText, sqlMessage } from "../errors";
import type { DatabaseReplicaLiveState, GroupConfig, GroupRecord, ReplicaConfig, ReplicaLiveState, SeedingAttempt } from "./model";

/** What the layer needs from the engine around it. */
export interface AvailabilityGroupHooks {
  /** Marks master.json dirty and schedules its write (changes that did not come from a statement). */
  persist(): void;
  /** @@SERVERNAME. */
  serverName: string;
  now(): Date;
}

/** Copies a configuration (what travels and what is stored never share objects). */
export function cloneConfig(config: GroupConfig): GroupConfig {
  return {
    ...config,
    replicas: config.replicas.map((r) => ({ ...r, createDate: new Date(r.createDate), modifyDate: new Date(r.modifyDate) })),
    databases: config.databases.map((d) => ({ ...d })),
  };
}

/** The availability groups of one instance. */
export class AvailabilityGroupLayer {
  private readonly replicaStates = new Map<string, ReplicaLiveState>();
  private readonly databaseStates = new Map<string, DatabaseReplicaLiveState>();
  private readonly seedingAttempts: SeedingAttempt[] = [];
  private readonly offers = new Map<string, GroupConfig>();

  constructor(
    private readonly catalog: Catalog,
    private readonly databases: DatabaseLayer,
    private readonly hooks: AvailabilityGroupHooks,
    /** SERVERPROPERTY('IsHadrEnabled'): the instance was started with availability groups enabled. */
    readonly enabled: boolean,
  ) {
    // A copy that belongs to a group cannot be dropped until it leaves it (3752).
    databases.addGuard("drop", (db) => (db.groupDatabaseId !== null ? sqlMessage(3752, [db.name]) : undefined));
  }

  /** The groups this instance hosts a replica of (live records: do not change them). */
  list(): readonly GroupRecord[] {
    return this.catalog.state.availabilityGroups ?? [];
  }

  /** The group called `name` (the instance's collation), if this instance hosts a replica of it. */
  byName(name: string): GroupRecord | undefined {
    return this.list().find((g) => sameName(g.config.name, name));
  }

  /** The group with group_id `id`. */
  byId(id: string): GroupRecord | undefined {
    return this.list().find((g) => g.config.id === id);
  }

  /** The local replica's configuration. */
  localReplica(g: GroupRecord): ReplicaConfig | undefined {
    return g.config.replicas.find((r) => r.id === g.localReplicaId);
  }

  /** True when the local replica is the group's primary. */
  isPrimary(g: GroupRecord): boolean {
    return g.config.primaryReplicaId === g.localReplicaId;
  }

  /** What the network layer last reported about `replicaId` of `groupId`. */
  replicaState(groupId: string, replicaId: string): ReplicaLiveState | undefined {
    return this.replicaStates.get(`${groupId}/${replicaId}`);
  }

  /** Records what the network layer sees of a replica (the local one included). */
  setReplicaState(groupId: string, replicaId: string, state: ReplicaLiveState): void {
    this.replicaStates.set(`${groupId}/${replicaId}`, state);
  }

  /** A database copy's state on a replica, as the primary knows it. */
  databaseState(groupId: string, replicaId: string, groupDatabaseId: string): DatabaseReplicaLiveState | undefined {
    return this.databaseStates.get(`${groupId}/${replicaId}/${groupDatabaseId}`);
  }

  /** Records a database copy's state on a replica. */
  setDatabaseState(groupId: string, replicaId: string, groupDatabaseId: string, state: DatabaseReplicaLiveState): void {
    this.databaseStates.set(`${groupId}/${replicaId}/${groupDatabaseId}`, state);
  }

  /** Automatic seeding attempts made or received here since the instance started, oldest first. */
  seeding(): readonly SeedingAttempt[] {
    return this.seedingAttempts;
  }

  /** Adds or updates (by operation id) a seeding attempt. */
  recordSeeding(attempt: SeedingAttempt): void {
    const i = this.seedingAttempts.findIndex((a) => a.operationId === attempt.operationId);
    if (i >= 0) this.seedingAttempts[i] = attempt;
    else this.seedingAttempts.push(attempt);
  }

  /** A primary's configuration that names this instance as a replica (JOIN takes it from here). */
  noteOffer(config: GroupConfig): void {
    const known = this.offers.get(config.name.toLowerCase());
    if (known && known.id === config.id && known.sequence > config.sequence) return;
    this.offers.set(config.name.toLowerCase(), cloneConfig(config));
  }

  /** The latest configuration a primary offered under `name`, if any. */
  offer(name: string): GroupConfig | undefined {
    return this.offers.get(name.toLowerCase());
  }

  /** Forgets what the network layer reported (at restart: nothing is connected yet). */
  clearLiveState(): void {
    this.replicaStates.clear();
    this.databaseStates.clear();
  }

  /**
   * On a secondary that joined: takes the primary's configuration `config` (a newer sequence, or a
   * first one after JOIN). A configuration without the local replica means this replica was removed:
   * the group goes away here and its databases stay RESTORING. Returns what happened.
   */
  applyConfiguration(config: GroupConfig): "applied" | "unchanged" | "notJoined" | "removed" {
    this.noteOffer(config);
    const g = this.byName(config.name);
    if (!g) return "notJoined";
    // A primary takes no configuration from elsewhere; only a joined secondary does.
    if (this.isPrimary(g)) return "unchanged";
    if (!g.joined) return "notJoined";
    if (g.config.id === config.id && g.config.sequence >= config.sequence && !g.awaitingConfiguration) return "unchanged";
    const local = config.replicas.find((r) => sameName(r.serverName, this.hooks.serverName));
    if (!local) {
      this.removeLocal(g);
      return "removed";
    }
    const removedDatabases = g.config.databases.filter((d) => !config.databases.some((c) => c.groupDatabaseId === d.groupDatabaseId));
    g.config = cloneConfig(config);
    g.localReplicaId = local.id;
    delete g.awaitingConfiguration;
    for (const d of removedDatabases) this.leaveDatabase(d.name, d.groupDatabaseId);
    this.refreshLocalDatabases(g);
    this.hooks.persist();
    return "applied";
  }

  /** Removes the group from this instance (dropped, or this replica removed): its databases leave it, secondary copies RESTORING. */
  removeLocal(g: GroupRecord): void {
    const list = this.catalog.state.availabilityGroups ?? [];
    const i = list.indexOf(g);
    if (i >= 0) list.splice(i, 1);
    const primary = this.isPrimary(g);
    for (const d of g.config.databases) this.leaveDatabase(d.name, d.groupDatabaseId, primary);
    for (const key of [...this.replicaStates.keys()]) if (key.startsWith(`${g.config.id}/`)) this.replicaStates.delete(key);
    for (const key of [...this.databaseStates.keys()]) if (key.startsWith(`${g.config.id}/`)) this.databaseStates.delete(key);
    this.hooks.persist();
  }

  /**
   * The local copy `name` leaves the group: a primary copy stays ONLINE and writable, a secondary
   * copy goes to RESTORING ("ALTER AVAILABILITY GROUP", REMOVE DATABASE / REMOVE REPLICA).
   */
  leaveDatabase(name: string, groupDatabaseId: string, primary = false): void {
    const db = this.databases.get(name);
    if (!db || db.groupDatabaseId !== groupDatabaseId) return;
    this.databases.setAvailabilityGroupIds(name, null);
    if (primary) return;
    this.databases.setAccess(name, { kind: "readWrite" });
    this.databases.setState(name, "RESTORING");
  }

  /** The local copy `name` joins the group `g` (seeded, or SET HADR AVAILABILITY GROUP): its ids are set and its access follows the local role. */
  joinDatabase(g: GroupRecord, name: string): void {
    const d = g.config.databases.find((x) => sameName(x.name, name));
    if (!d) return;
    this.databases.setAvailabilityGroupIds(name, { replicaId: g.localReplicaId, groupDatabaseId: d.groupDatabaseId });
    this.applyAccess(g, name);
  }

  /** On the primary, after CREATE … FOR DATABASE or ADD DATABASE: every listed local database joins the group. */
  refreshLocalDatabasesAfterAdd(g: GroupRecord): void {
    if (!this.isPrimary(g)) return;
    for (const d of g.config.databases) {
      const db = this.databases.get(d.name);
      if (db && db.groupDatabaseId !== d.groupDatabaseId) this.databases.setAvailabilityGroupIds(d.name, { replicaId: g.localReplicaId, groupDatabaseId: d.groupDatabaseId });
    }
    this.refreshLocalDatabases(g);
  }

  /** Every local copy of the group's databases gets the access its role and ALLOW_CONNECTIONS give. */
  refreshLocalDatabases(g: GroupRecord): void {
    for (const d of g.config.databases) {
      const db = this.databases.get(d.name);
      if (db?.groupDatabaseId === d.groupDatabaseId) {
        if (db.replicaId !== g.localReplicaId) this.databases.setAvailabilityGroupIds(d.name, { replicaId: g.localReplicaId, groupDatabaseId: d.groupDatabaseId });
        this.applyAccess(g, d.name);
      }
    }
  }

  /**
   * A primary copy is ONLINE and writable. A secondary copy is ONLINE and read-only when the local
   * replica's SECONDARY_ROLE allows connections (READ_ONLY or ALL; writes fail with 3906), else not
   * accessible (976) ("Configure read-only access to a secondary replica of an availability group").
   */
  private applyAccess(g: GroupRecord, name: string): void {
    const db = this.databases.get(name);
    if (!db) return;
    const local = this.localReplica(g);
    if (this.isPrimary(g)) {
      if (db.access.kind !== "readWrite") this.databases.setAccess(name, { kind: "readWrite" });
      if (db.state !== "ONLINE") this.databases.setState(name, "ONLINE");
      return;
    }
    const readable = local !== undefined && local.secondaryAllowConnections !== "NO";
    this.databases.setAccess(name, readable ? { kind: "readOnly" } : { kind: "notAccessible", error: accessError(976, messageText(976, name)) });
    if (db.state !== "ONLINE") this.databases.setState(name, "ONLINE");
  }
}

/**
 * What a statement runs against: the instance (catalog, clock, folders, live sessions), the session
 * (who, SET options, opened master key, transaction depth), the batch's variables and the statement's
 * undo journal. Executors and functions receive one {@link ExecContext}.
 */
import type { SqlValue } from "../results";
import type { AvailabilityGroupLayer } from "./availabilityGroups/layer";
import type { Catalog } from "./catalog";
import type { MirroringConnectionRow } from "./dmv";
import type { DatabaseStore } from "./databases/store";
import type { DateFormat } from "./datetime";
import type { Journal } from "./journal";
import type { SqlType } from "./values";
import type { Viewer } from "./views";

/** Instance-wide facts and services. */
export interface InstanceServices {
  serverName: string;
  /** The @@VERSION text. */
  version: string;
  now(): Date;
  /** Absolute folder BACKUP CERTIFICATE writes to and FROM FILE reads from. */
  backupDir: string;
  /** True when a process outside the catalog holds `port` (CREATE ENDPOINT then fails with 7890). */
  portInUse(port: number): boolean;
  /** principal_ids of logins with a live session (DROP LOGIN fails with 15434 for them). */
  connectedLogins(): Set<number>;
  /** The established endpoint connections (sys.dm_db_mirroring_connections); none without a network layer. */
  mirroringConnections(): MirroringConnectionRow[];
  /** Severity a message is raised with instead of the table's, by number (see EngineOptions.messageSeverities). */
  messageSeverities: Readonly<Record<number, number>>;
  /** The instance's databases (sys.databases, tables, logs, backup history). */
  databases: DatabaseStore;
  /** The instance's availability groups (set by the engine once its database layer exists). */
  availabilityGroups?: AvailabilityGroupLayer;
}

/** Session settings changed by SET. */
export interface SessionSettings {
  quotedIdentifier: boolean;
  xactAbort: boolean;
  nocount: boolean;
  concatNullYieldsNull: boolean;
  dateFormat: DateFormat;
  dateFirst: number;
  language: string;
  textSize: number;
  isolationLevel: string;
  lockTimeout: number;
}

/** A session's master key opened by OPEN MASTER KEY (valid while the key's GUID is unchanged). */
export interface OpenedMasterKey {
  keyGuid: string;
  key: Buffer;
  /** When OPEN MASTER KEY ran (`sys.openkeys.opened_date`). */
  openedAt: Date;
}

/** The parts of a session statements read or change. */
export interface SessionState {
  readonly spid: number;
  /** principal_id of the session's login. */
  readonly loginId: number;
  /** The current database's name (USE changes it; DB_NAME() reports it). */
  database: string;
  settings: SessionSettings;
  openedMasterKey?: OpenedMasterKey;
  /** @@TRANCOUNT. */
  trancount: number;
  /** @@ERROR: the number of the last statement's error, 0 after success. */
  lastError: number;
  /** @@ROWCOUNT. */
  lastRowCount: number;
}

/** A declared variable or a parameter. */
export interface Variable {
  type: SqlType;
  value: SqlValue;
}

/** Everything one statement runs with. */
export interface ExecContext {
  readonly catalog: Catalog;
  readonly instance: InstanceServices;
  readonly session: SessionState;
  /** Who the session is, for metadata visibility and permission checks. */
  readonly viewer: Viewer;
  /** Variables and parameters of the batch, by lower-case name with `@`. */
  readonly variables: Map<string, Variable>;
  /** The running statement's journal: every catalog change goes through it. */
  readonly journal: Journal;
  /** Informational messages the statement raised (e.g. 15215), in order. */
  readonly infos: Array<{ number: number; args: Array<string | number> }>;
}

/**
 * Syntax tree of the availability-group statements (CREATE / ALTER / DROP AVAILABILITY GROUP and
 * ALTER DATABASE … SET HADR), part of ast.ts's `StatementBody`; parsed by parser/availabilityGroups.ts.
 * Options not written are absent, so the executor can tell "not given" from a value.
 */
import type {
  AvailabilityMode,
  BackupPreference,
  ClusterType,
  FailoverMode,
  PrimaryAllowConnections,
  SecondaryAllowConnections,
  SeedingMode,
} from "./model";

/** `WITH ( … )` options of a replica as written. */
export interface ReplicaOptions {
  endpointUrl?: string;
  availabilityMode?: AvailabilityMode;
  failoverMode?: FailoverMode;
  seedingMode?: SeedingMode;
  backupPriority?: number;
  sessionTimeout?: number;
  secondaryAllowConnections?: SecondaryAllowConnections;
  readOnlyRoutingUrl?: string;
  primaryAllowConnections?: PrimaryAllowConnections;
  readWriteRoutingUrl?: string;
  /** Option names in the order written (a MODIFY takes one). */
  written: string[];
}

/** `REPLICA ON N'server' WITH ( … )`. */
export interface ReplicaSpec {
  serverName: string;
  options: ReplicaOptions;
  line: number;
}

/** Group options of CREATE … WITH ( … ) and ALTER … SET ( … ). */
export interface GroupOptions {
  clusterType?: ClusterType;
  automatedBackupPreference?: BackupPreference;
  failureConditionLevel?: number;
  healthCheckTimeout?: number;
  dbFailover?: boolean;
  dtcSupport?: boolean;
  requiredSynchronizedSecondariesToCommit?: number;
}

/** The ALTER AVAILABILITY GROUP actions of the subset. */
export type AlterGroupAction =
  | { action: "join"; clusterType?: ClusterType }
  | { action: "grantCreateAnyDatabase" }
  | { action: "denyCreateAnyDatabase" }
  | { action: "addDatabase"; databases: string[] }
  | { action: "removeDatabase"; database: string }
  | { action: "addReplica"; replicas: ReplicaSpec[] }
  | { action: "modifyReplica"; replica: ReplicaSpec }
  | { action: "removeReplica"; serverName: string }
  | { action: "set"; options: GroupOptions }
  | { action: "failover" }
  | { action: "forceFailover" };

/** The statements (without the StatementBase fields). */
export type AvailabilityGroupStatementBody =
  | { kind: "createAvailabilityGroup"; name: string; options: GroupOptions; databases: string[]; replicas: ReplicaSpec[] }
  | ({ kind: "alterAvailabilityGroup"; name: string } & AlterGroupAction)
  | { kind: "dropAvailabilityGroup"; name: string }
  /** `group` null: SET HADR OFF. */
  | { kind: "alterDatabaseHadr"; database: string; group: string | null };

const KINDS: ReadonlySet<string> = new Set(["createAvailabilityGroup", "alterAvailabilityGroup", "dropAvailabilityGroup", "alterDatabaseHadr"]);

/** True for the statements above. */
export function isAvailabilityGroupStatement(body: { kind: string }): body is AvailabilityGroupStatementBody {
  return KINDS.has(body.kind);
}

/** What `counters.statements` counts each kind as. */
export function availabilityGroupCounterName(body: AvailabilityGroupStatementBody): string {
  switch (body.kind) {
    case "createAvailabilityGroup":
      return "CREATE AVAILABILITY GROUP";
    case "alterAvailabilityGroup":
      return "ALTER AVAILABILITY GROUP";
    case "dropAvailabilityGroup":
      return "DROP AVAILABILITY GROUP";
    case "alterDatabaseHadr":
      return "ALTER DATABASE";
  }
}

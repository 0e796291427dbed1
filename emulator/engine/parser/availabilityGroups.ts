/**
 * CREATE / ALTER / DROP AVAILABILITY GROUP and ALTER DATABASE … SET HADR, as Microsoft's pages write
 * them ("CREATE AVAILABILITY GROUP (Transact-SQL)", "ALTER AVAILABILITY GROUP (Transact-SQL)",
 * "DROP AVAILABILITY GROUP (Transact-SQL)", "ALTER DATABASE (Transact-SQL) SET HADR"). Grammar outside
 * the subset (listeners, distributed and contained groups, BASIC, READ_ONLY_ROUTING_LIST, OFFLINE,
 * SET HADR SUSPEND / RESUME) is refused with 50000, never accepted silently.
 */
import type { StatementBody } from "../ast";
import type { AlterGroupAction, GroupOptions, ReplicaOptions, ReplicaSpec } from "../availabilityGroups/ast";
import type { TokenStream } from "./stream";

/** After `CREATE`: `AVAILABILITY GROUP name [WITH (…)] FOR [DATABASE d, …] REPLICA ON …`. */
export function parseCreateAvailabilityGroup(s: TokenStream): StatementBody {
  s.expectWord("AVAILABILITY", "GROUP");
  const name = s.name();
  const options: GroupOptions = {};
  if (s.acceptWord("WITH")) parseGroupOptions(s, options, true);
  s.expectWord("FOR");
  const databases: string[] = [];
  if (s.acceptWord("DATABASE")) {
    do databases.push(s.name());
    while (s.acceptOperator(","));
  }
  s.expectWord("REPLICA", "ON");
  const replicas = parseReplicaList(s);
  if (s.acceptOperator(",")) {
    if (s.isWord("LISTENER")) throw s.unsupported("CREATE AVAILABILITY GROUP … LISTENER");
    throw s.syntaxError();
  }
  if (s.isWord("LISTENER")) throw s.unsupported("CREATE AVAILABILITY GROUP … LISTENER");
  if (s.isWord("AVAILABILITY")) throw s.unsupported("CREATE AVAILABILITY GROUP … AVAILABILITY GROUP ON (distributed availability groups)");
  return { kind: "createAvailabilityGroup", name, options, databases, replicas };
}

/** After `ALTER`: `AVAILABILITY GROUP name <action>`. */
export function parseAlterAvailabilityGroup(s: TokenStream): StatementBody {
  s.expectWord("AVAILABILITY", "GROUP");
  const name = s.name();
  return { kind: "alterAvailabilityGroup", name, ...parseAlterAction(s) };
}

/** After `DROP`: `AVAILABILITY GROUP name`. */
export function parseDropAvailabilityGroup(s: TokenStream): StatementBody {
  s.expectWord("AVAILABILITY", "GROUP");
  return { kind: "dropAvailabilityGroup", name: s.name() };
}

/**
 * `ALTER DATABASE d SET` has been read and `HADR` is next: `HADR AVAILABILITY GROUP = g | HADR OFF`.
 * Called from parser/databases.ts's SET dispatch.
 */
export function parseSetHadr(s: TokenStream, database: string | undefined): StatementBody {
  s.expectWord("HADR");
  if (database === undefined) throw s.unsupported("ALTER DATABASE CURRENT SET HADR");
  if (s.acceptWord("OFF")) return { kind: "alterDatabaseHadr", database, group: null };
  if (s.isWord("SUSPEND") || s.isWord("RESUME")) throw s.unsupported(`ALTER DATABASE … SET HADR ${s.peek().value.toUpperCase()}`);
  s.expectWord("AVAILABILITY", "GROUP");
  s.expectOperator("=");
  return { kind: "alterDatabaseHadr", database, group: s.name() };
}

function parseAlterAction(s: TokenStream): AlterGroupAction {
  if (s.acceptWord("JOIN")) {
    if (s.isWord("AVAILABILITY")) throw s.unsupported("ALTER AVAILABILITY GROUP … JOIN AVAILABILITY GROUP ON (distributed availability groups)");
    if (!s.acceptWord("WITH")) return { action: "join" };
    s.expectOperator("(");
    s.expectWord("CLUSTER_TYPE");
    s.expectOperator("=");
    const clusterType = s.expectOneOf("WSFC", "EXTERNAL", "NONE");
    s.expectOperator(")");
    return { action: "join", clusterType };
  }
  if (s.acceptWord("GRANT", "CREATE", "ANY", "DATABASE")) return { action: "grantCreateAnyDatabase" };
  if (s.acceptWord("DENY", "CREATE", "ANY", "DATABASE")) return { action: "denyCreateAnyDatabase" };
  if (s.acceptWord("FAILOVER")) return { action: "failover" };
  if (s.acceptWord("FORCE_FAILOVER_ALLOW_DATA_LOSS")) return { action: "forceFailover" };
  if (s.acceptWord("SET")) {
    const options: GroupOptions = {};
    parseGroupOptions(s, options, false);
    return { action: "set", options };
  }
  if (s.acceptWord("ADD", "DATABASE")) {
    const databases: string[] = [];
    do databases.push(s.name());
    while (s.acceptOperator(","));
    return { action: "addDatabase", databases };
  }
  if (s.acceptWord("REMOVE", "DATABASE")) return { action: "removeDatabase", database: s.name() };
  if (s.acceptWord("ADD", "REPLICA", "ON")) return { action: "addReplica", replicas: parseReplicaList(s) };
  if (s.acceptWord("MODIFY", "REPLICA", "ON")) {
    const replica = parseReplica(s);
    if (replica.options.written.length !== 1) throw s.syntaxError(s.previous());
    return { action: "modifyReplica", replica };
  }
  if (s.acceptWord("REMOVE", "REPLICA", "ON")) return { action: "removeReplica", serverName: s.string() };
  const t = s.peek();
  if (t.kind !== "word") throw s.syntaxError();
  const words = [t.value.toUpperCase()];
  if (s.peek(1).kind === "word") words.push(s.peek(1).value.toUpperCase());
  if (["ADD", "MODIFY", "RESTART", "REMOVE", "OFFLINE", "GRANT", "DENY"].includes(words[0]!)) throw s.unsupported(`ALTER AVAILABILITY GROUP … ${words.join(" ")}`);
  throw s.syntaxError();
}

function parseReplicaList(s: TokenStream): ReplicaSpec[] {
  const replicas = [parseReplica(s)];
  // A comma followed by LISTENER ends the list (CREATE … REPLICA ON …, LISTENER …).
  while (s.isOperator(",") && s.peek(1).kind === "string") {
    s.next();
    replicas.push(parseReplica(s));
  }
  return replicas;
}

function parseReplica(s: TokenStream): ReplicaSpec {
  const line = s.peek().line;
  const serverName = s.string();
  s.expectWord("WITH");
  s.expectOperator("(");
  const options: ReplicaOptions = { written: [] };
  do parseReplicaOption(s, options);
  while (s.acceptOperator(","));
  s.expectOperator(")");
  return { serverName, options, line };
}

function parseReplicaOption(s: TokenStream, o: ReplicaOptions): void {
  const option = s.expectOneOf("ENDPOINT_URL", "AVAILABILITY_MODE", "FAILOVER_MODE", "SEEDING_MODE", "BACKUP_PRIORITY", "SECONDARY_ROLE", "PRIMARY_ROLE", "SESSION_TIMEOUT");
  o.written.push(option);
  if (option === "SECONDARY_ROLE" || option === "PRIMARY_ROLE") {
    s.expectOperator("(");
    do {
      if (s.acceptWord("ALLOW_CONNECTIONS")) {
        s.expectOperator("=");
        if (option === "SECONDARY_ROLE") o.secondaryAllowConnections = s.expectOneOf("NO", "READ_ONLY", "ALL");
        else o.primaryAllowConnections = s.expectOneOf("READ_WRITE", "ALL");
      } else if (option === "SECONDARY_ROLE" && s.acceptWord("READ_ONLY_ROUTING_URL")) {
        o.readOnlyRoutingUrl = s.equalsString();
      } else if (option === "PRIMARY_ROLE" && s.acceptWord("READ_WRITE_ROUTING_URL")) {
        o.readWriteRoutingUrl = s.equalsString();
      } else if (option === "PRIMARY_ROLE" && s.isWord("READ_ONLY_ROUTING_LIST")) {
        throw s.unsupported("PRIMARY_ROLE (READ_ONLY_ROUTING_LIST = …)");
      } else throw s.syntaxError();
    } while (s.acceptOperator(","));
    s.expectOperator(")");
    return;
  }
  s.expectOperator("=");
  switch (option) {
    case "ENDPOINT_URL":
      o.endpointUrl = s.string();
      return;
    case "AVAILABILITY_MODE":
      o.availabilityMode = s.expectOneOf("SYNCHRONOUS_COMMIT", "ASYNCHRONOUS_COMMIT", "CONFIGURATION_ONLY");
      return;
    case "FAILOVER_MODE":
      o.failoverMode = s.expectOneOf("AUTOMATIC", "MANUAL", "EXTERNAL");
      return;
    case "SEEDING_MODE":
      o.seedingMode = s.expectOneOf("AUTOMATIC", "MANUAL");
      return;
    case "BACKUP_PRIORITY":
      o.backupPriority = s.integer();
      return;
    case "SESSION_TIMEOUT":
      o.sessionTimeout = s.integer();
      return;
  }
}

function parseGroupOptions(s: TokenStream, o: GroupOptions, create: boolean): void {
  s.expectOperator("(");
  do {
    if (s.isWord("BASIC") || s.isWord("DISTRIBUTED") || s.isWord("CONTAINED") || s.isWord("REUSE_SYSTEM_DATABASES")) {
      throw s.unsupported(`${create ? "CREATE" : "ALTER"} AVAILABILITY GROUP … ${s.peek().value.toUpperCase()}`);
    }
    const option = s.expectOneOf(
      "CLUSTER_TYPE",
      "AUTOMATED_BACKUP_PREFERENCE",
      "FAILURE_CONDITION_LEVEL",
      "HEALTH_CHECK_TIMEOUT",
      "DB_FAILOVER",
      "DTC_SUPPORT",
      "REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT",
    );
    // CLUSTER_TYPE is set when the group is created; ALTER … SET has no such option.
    if (option === "CLUSTER_TYPE" && !create) throw s.syntaxError(s.previous());
    s.expectOperator("=");
    switch (option) {
      case "CLUSTER_TYPE":
        o.clusterType = s.expectOneOf("WSFC", "EXTERNAL", "NONE");
        break;
      case "AUTOMATED_BACKUP_PREFERENCE":
        o.automatedBackupPreference = s.expectOneOf("PRIMARY", "SECONDARY_ONLY", "SECONDARY", "NONE");
        break;
      case "FAILURE_CONDITION_LEVEL":
        o.failureConditionLevel = s.integer();
        break;
      case "HEALTH_CHECK_TIMEOUT":
        o.healthCheckTimeout = s.integer();
        break;
      case "DB_FAILOVER":
        o.dbFailover = s.expectOneOf("ON", "OFF") === "ON";
        break;
      case "DTC_SUPPORT":
        o.dtcSupport = s.expectOneOf("PER_DB", "NONE") === "PER_DB";
        break;
      case "REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT":
        o.requiredSynchronizedSecondariesToCommit = s.integer();
        break;
    }
  } while (s.acceptOperator(","));
  s.expectOperator(")");
}

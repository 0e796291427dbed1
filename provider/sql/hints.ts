/**
 * What to do about the SQL Server errors this provider's statements are known to meet
 * (reference/sqlserver-mirroring-tsql.md). Appended to the server's own text, which stays first:
 * a hint is advice, the server message is the fact.
 */
/**
 * What to do when an instance's mirroring endpoint exists already and may be managed by a Pulumi
 * stack: never adopt it then (two resources would manage one endpoint, each switching it to its
 * own certificate, refusing the other's peers), declare the instance once.
 */
export const ENDPOINT_MANAGED_ELSEWHERE =
  "If a Pulumi stack already manages it (this instance declared in two MirroringTopology or MirroringInstance components, or in two stacks), " +
  "do not set adopt: true: the two would fight over the one endpoint, each switching it to its own certificate; declare the instance once " +
  "(one MirroringTopology with instances and every availability group and mirroring session that uses it)";

const HINTS: ReadonlyMap<number, string> = new Map([
  [7862, `SQL Server allows one DATABASE_MIRRORING endpoint per instance. ${ENDPOINT_MANAGED_ELSEWHERE}. adopt: true is only for an endpoint made outside Pulumi`],
  [7863, "the ALTER ENDPOINT had nothing to change"],
  [7869, "endpoint names may not start with the prefix SQL Server reserves for its own endpoints: choose another name"],
  [7874, "another endpoint already listens on this port/address: choose another port"],
  [7890, "the endpoint could not register its port: another process probably holds it; choose another port"],
  [15025, "a login with this name already exists"],
  [15023, "a user with this name already exists in master"],
  [15063, "this login already has a user in master under a different name"],
  [15138, "the user owns a certificate: drop the certificate (or change its owner) first"],
  [15141, "the login owns an endpoint or another server object: change the owner first"],
  [15151, "the object does not exist, or the connecting login lacks permission on it"],
  [15232, "a certificate with this name exists, or the same certificate is already present under another name"],
  [15240, "BACKUP CERTIFICATE never overwrites: the file must not exist yet"],
  [15247, "the connecting login lacks the permission this statement needs (sysadmin works)"],
  [15313, "the password given does not open the database master key"],
  [15352, "something still uses this certificate (an endpoint, or signed/encrypted objects): switch or drop it first"],
  [15434, "the login is connected: its sessions must end before it can be dropped"],
  [15557, "the database master key is already encrypted by this password"],
  [15558, "the last password encryption of the database master key cannot be dropped"],
  [15559, "a login or user is mapped to this certificate: drop it first"],
  [15578, "a database master key already exists in master"],
  [
    15580,
    "the database master key protects other private keys (a TDE or backup certificate, say): never drop those to get past this; " +
      "to keep the key, remove the MasterKey from the stack (pulumi state delete <its URN>) and run destroy again",
  ],
  [15581, "create the database master key in master first (MasterKey), or make sure it is encrypted by the service master key"],
  [28055, "an endpoint certificate needs a private key protected by the database master key and must be within its validity dates"],
  // Availability groups and their replicas' connections.
  [28034, "the connecting replica's login lacks CONNECT on this endpoint: grant it (EndpointPermission), or run pulumi up to repair a revoked grant"],
  [28035, "the peer certificate presented is not valid here (expired, or not the one imported): import the peer's current certificate"],
  [28036, "this endpoint's own certificate was not found: point the endpoint at an existing certificate"],
  [28045, "the certificate the peer presented does not match the copy imported here: import the peer's current public certificate"],
  [28047, "a mirroring login attempt failed on the accepting side: see the accepting instance's error log for the reason"],
  [28048, "a mirroring login attempt failed on the accepting side: see the accepting instance's error log for the reason"],
  [35211, "automatic failover needs synchronous commit: set failoverMode MANUAL or availabilityMode SYNCHRONOUS_COMMIT"],
  [35212, "SQL Server 2019 and later allow five synchronous-commit replicas, the primary included: make the others ASYNCHRONOUS_COMMIT"],
  [35213, "too many replicas with automatic failover: make some MANUAL"],
  [35214, "SESSION_TIMEOUT is at least 5 seconds (10 or more is recommended)"],
  [35221, "Always On availability groups are disabled on this instance: on Linux run mssql-conf set hadr.hadrenabled 1 and restart SQL Server (on Windows, SQL Server Configuration Manager)"],
  [35223, "an availability group has one primary and at most eight secondary replicas"],
  [35233, "an availability group has one primary and at most eight secondary replicas"],
  [35234, "list each database once"],
  [35235, "each replica must be a different instance"],
  [35237, "CREATE AVAILABILITY GROUP runs on the first replica's instance, and that replica's name must be its @@SERVERNAME"],
  [35238, "the database does not exist on the primary: create or restore it there first"],
  [35244, "the database already belongs to an availability group: remove it there first"],
  [35248, "REQUIRED_SYNCHRONIZED_SECONDARIES_TO_COMMIT exceeds the synchronous-commit secondaries: lower it or make more replicas synchronous"],
  [35249, "availability groups hold user databases only"],
  [35250, "this secondary is not connected to the primary: check the trust between them (certificates, CONNECT on the endpoints) and that the primary's endpoint is reachable"],
  [35251, "this statement runs only on the primary replica: the group may have failed over; run pulumi refresh"],
  [41140, "this statement runs only on the primary replica: the group may have failed over; run pulumi refresh"],
  // Database mirroring sessions ("Database engine events and errors 1000 to 1999").
  [1404, "the mirroring session is busy with another change: run pulumi up again in a moment"],
  [1412, "the mirror copy is behind the principal's log: restore the principal's later log backups there WITH NORECOVERY, or drop the RESTORING copy and let seeding make a new one"],
  [1416, "the database is not in a mirroring session (it may have been ended out of band): run pulumi refresh"],
  [1418, "the partner's endpoint cannot be reached: check the endpoint URL, that its endpoint is STARTED with ROLE PARTNER or ALL, and that each instance trusts the other (certificates, CONNECT)"],
  [1422, "the mirror is not caught up, so a planned failover is not possible yet: wait for SYNCHRONIZED (raise waitTimeoutMs) and run pulumi up again"],
  [1426, "SET WITNESS needs all three instances connected to each other and the mirror caught up: check the witness's endpoint (ROLE WITNESS or ALL, STARTED) and its trusts with both partners"],
  [1429, "the witness must be a third instance, not one of the partners"],
  [1431, "neither the partner nor the witness can be reached: bring one of them back first"],
  [1447, "both partners must be up and connected for this change: bring the other partner back, then run pulumi up again"],
  [1452, "the two partners must be different instances"],
  [1456, "the change could not be sent to the other partner and nothing changed: check that the partners are connected, then run pulumi up again"],
  [1464, "the mirror copy must be RESTORING: restore it WITH NORECOVERY (never recover it) before the session starts"],
  [1465, "the database must use the FULL recovery model on both partners"],
  [1466, "the database must be read-write on both partners"],
  [1469, "turn AUTO_CLOSE off on both partners"],
  [1470, "this change runs only on the principal: the session may have failed over; run pulumi refresh"],
  [1473, "this edition supports only safety FULL (high-performance mode needs Enterprise edition): use safety FULL"],
  [1476, "the session timeout is at most 32767 seconds"],
  [1477, "a planned failover needs safety FULL"],
  [1478, "a log backup was taken on the principal after the mirror copy was restored (a scheduled log backup job?): restore every later log backup on the mirror WITH NORECOVERY, or pause the job until the session starts"],
  [1488, "the database must not be in single-user mode"],
  [41158, "the replica could not join: see the error it names (often the primary is unreachable or does not list this instance under its @@SERVERNAME)"],
]);

/** Advice for a SQL Server message number, when there is any. */
export function hintFor(number: number | undefined): string | undefined {
  return number === undefined ? undefined : HINTS.get(number);
}

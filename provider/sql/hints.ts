/**
 * What to do about the SQL Server errors this provider's statements are known to meet
 * (reference/sqlserver-mirroring-tsql.md). Appended to the server's own text, which stays first:
 * a hint is advice, the server message is the fact.
 */
const HINTS: ReadonlyMap<number, string> = new Map([
  [7862, "SQL Server allows one DATABASE_MIRRORING endpoint per instance: adopt the existing one or drop it first"],
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
]);

/** Advice for a SQL Server message number, when there is any. */
export function hintFor(number: number | undefined): string | undefined {
  return number === undefined ? undefined : HINTS.get(number);
}

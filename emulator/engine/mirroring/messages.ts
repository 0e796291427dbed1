/**
 * SQL Server's messages for database mirroring sessions, merged into the emulator's message table
 * (errors.ts). Numbers, severities and texts are those of Microsoft's "Database engine events and
 * errors" pages (0–999 for 954, 1000–1999 for the 14xx, 3000–3999 for 3104 and 3743), with
 * `%.*ls` / `%ls` / `%d` written as `%s`. The pages give no states: 1 unless real servers are known
 * to print another.
 */

/** number → severity, default state, text. */
export const MIRRORING_MESSAGES: Record<number, { severity: number; state: number; text: string }> = {
  954: { severity: 14, state: 1, text: 'The database "%s" cannot be opened. It is acting as a mirror database.' },
  955: {
    severity: 14,
    state: 1,
    text: "Database %s is enabled for Database Mirroring, but the database lacks quorum: the database cannot be opened. Check the partner and witness connections if configured.",
  },
  1404: { severity: 16, state: 1, text: "The command failed because the database mirror is busy. Reissue the command later." },
  1405: { severity: 16, state: 1, text: 'The database "%s" is already enabled for database mirroring.' },
  1407: { severity: 16, state: 1, text: 'The remote copy of database "%s" is not related to the local copy of the database.' },
  1412: { severity: 16, state: 1, text: 'The remote copy of database "%s" has not been rolled forward to a point in time that is encompassed in the local copy of the database log.' },
  1416: { severity: 16, state: 1, text: 'Database "%s" is not configured for database mirroring.' },
  1418: {
    severity: 16,
    state: 1,
    text: 'The server network address "%s" can not be reached or does not exist. Check the network address name and that the ports for the local and remote endpoints are operational.',
  },
  1422: { severity: 16, state: 1, text: 'The mirror server instance is not caught up to the recent changes to database "%s". Unable to fail over.' },
  1426: {
    severity: 16,
    state: 1,
    text: "To issue ALTER DATABASE SET WITNESS, all three server instances must be interconnected, and the mirror database must be caught up. When these conditions are met, reissue the command.",
  },
  1429: {
    severity: 16,
    state: 1,
    text: "The witness server instance name must be distinct from both of the server instances that manage the database. The ALTER DATABASE SET WITNESS command failed.",
  },
  1439: { severity: 16, state: 1, text: 'There is currently no witness associated with database "%s".' },
  1443: { severity: 10, state: 1, text: "Database mirroring has been terminated for database '%s'. This is an informational message only. No user action is required." },
  1447: {
    severity: 16,
    state: 1,
    text: 'ALTER DATABASE "%s" command cannot be executed until both partner server instances are up, running, and connected. Start the partner and reissue the command.',
  },
  1448: { severity: 16, state: 1, text: 'The remote copy of database "%s" does not exist. Check the database name and reissue the command.' },
  1449: { severity: 16, state: 1, text: "ALTER DATABASE command failed due to an invalid server connection string." },
  1452: {
    severity: 16,
    state: 1,
    text: "The partner server instance name must be distinct from the server instance that manages the database. The ALTER DATABASE SET PARTNER command failed.",
  },
  1456: {
    severity: 16,
    state: 1,
    text: "The ALTER DATABASE command could not be sent to the remote server instance '%s'. The database mirroring configuration was not changed. Verify that the server is connected, and try again.",
  },
  1460: { severity: 16, state: 1, text: 'The database "%s" is already configured for database mirroring on the remote server. Drop database mirroring on the remote server to establish a new partner.' },
  1464: {
    severity: 16,
    state: 1,
    text: 'Database mirroring cannot be enabled for the remote copy of database "%s" because the database is not in a recovering state. The remote database must be restored using WITH NORECOVERY.',
  },
  1465: { severity: 16, state: 1, text: 'Database mirroring cannot be enabled because the "%s" database is not in full recovery mode on both partners.' },
  1466: { severity: 16, state: 1, text: 'Database mirroring cannot be enabled because the "%s" database is read-only on one of the partners.' },
  1468: { severity: 16, state: 1, text: 'The operation cannot be performed on database "%s" because it is involved in a database mirroring session.' },
  1470: { severity: 16, state: 1, text: 'The alter database for this partner config values may only be initiated on the current principal server for database "%s".' },
  1476: { severity: 16, state: 1, text: "Database mirroring timeout value %s exceeds the maximum value 32767." },
  1477: { severity: 16, state: 1, text: 'The database mirroring safety level must be FULL to manually failover database "%s". Set safety level to FULL and retry.' },
  1478: {
    severity: 16,
    state: 1,
    text: 'The mirror database, "%s", has insufficient transaction log data to preserve the log backup chain of the principal database. This may happen if a log backup from the principal database has not been taken or has not been restored on the mirror database.',
  },
  1480: { severity: 10, state: 1, text: 'The mirrored database "%s" is changing roles from "%s" to "%s" due to %s.' },
  3104: { severity: 16, state: 1, text: "RESTORE cannot operate on database '%s' because it is configured for database mirroring. Use ALTER DATABASE to remove mirroring if you intend to restore the database." },
  3743: { severity: 16, state: 1, text: "The database '%s' is enabled for database mirroring. Database mirroring must be removed before you drop the database." },
};

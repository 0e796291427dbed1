/**
 * SQL Server's messages, as the emulator raises them: one table of number → severity, default state
 * and text. Texts follow `sys.messages` (us_english) with the `%S_MSG` / `%.*ls` substitutions
 * written as `%s`, filled in order by {@link sqlMessage}.
 */
import type { SqlMessage } from "../results";
import { DATABASE_MESSAGES } from "./databases/messages";
import { AVAILABILITY_GROUP_MESSAGES } from "./availabilityGroups/messages";

interface MessageDefinition {
  /** Severity (class) the emulator raises the message with. */
  severity: number;
  /** State used when the caller gives none. */
  state: number;
  /** Text with `%s` placeholders, filled in order. */
  text: string;
}

/**
 * The table. Severity is the one `sys.messages` lists, except where noted: a few crypto messages are
 * listed with severity 10 yet stop the statement on a real server (they reach the client as errors),
 * so they are raised with 16 here.
 */
const MESSAGES: Record<number, MessageDefinition> = {
  // PRINT output; number 0 is what SQL Server sends for PRINT.
  0: { severity: 0, state: 1, text: "%s" },
  102: { severity: 15, state: 1, text: "Incorrect syntax near '%s'." },
  103: { severity: 15, state: 4, text: "The %s that starts with '%s' is too long. Maximum length is %s." },
  105: { severity: 15, state: 1, text: "Unclosed quotation mark after the character string '%s'." },
  107: { severity: 15, state: 1, text: "The column prefix '%s' does not match with a table name or alias name used in the query." },
  108: { severity: 15, state: 1, text: "The ORDER BY position number %s is out of range of the number of items in the select list." },
  113: { severity: 15, state: 1, text: "Missing end comment mark '*/'." },
  116: { severity: 16, state: 1, text: "Only one expression can be specified in the select list when the subquery is not introduced with EXISTS." },
  127: { severity: 15, state: 1, text: "A TOP N value may not be negative." },
  137: { severity: 15, state: 2, text: 'Must declare the scalar variable "%s".' },
  147: { severity: 15, state: 1, text: "An aggregate may not appear in the WHERE clause unless it is in a subquery contained in a HAVING clause or a select list, and the column being aggregated is an outer reference." },
  156: { severity: 15, state: 1, text: "Incorrect syntax near the keyword '%s'." },
  174: { severity: 15, state: 1, text: "The %s function requires %s argument(s)." },
  189: { severity: 15, state: 1, text: "The %s function requires %s to %s arguments." },
  195: { severity: 15, state: 10, text: "'%s' is not a recognized %s." },
  207: { severity: 16, state: 1, text: "Invalid column name '%s'." },
  208: { severity: 16, state: 1, text: "Invalid object name '%s'." },
  209: { severity: 16, state: 1, text: "Ambiguous column name '%s'." },
  226: { severity: 16, state: 6, text: "%s statement not allowed within multi-statement transaction." },
  241: { severity: 16, state: 1, text: "Conversion failed when converting date and/or time from character string." },
  242: { severity: 16, state: 3, text: "The conversion of a varchar data type to a datetime data type resulted in an out-of-range value." },
  243: { severity: 16, state: 2, text: "Type %s is not a defined system type." },
  245: { severity: 16, state: 1, text: "Conversion failed when converting the %s value '%s' to data type %s." },
  262: { severity: 16, state: 1, text: "%s permission denied in database '%s'." },
  263: { severity: 16, state: 1, text: "Must specify table to select from." },
  297: { severity: 16, state: 1, text: "The user does not have permission to perform this action." },
  300: { severity: 14, state: 1, text: "%s permission was denied on object '%s', database '%s'." },
  512: { severity: 16, state: 1, text: "Subquery returned more than 1 value. This is not permitted when the subquery follows =, !=, <, <= , >, >= or when the subquery is used as an expression." },
  911: { severity: 16, state: 1, text: "Database '%s' does not exist. Make sure that the name is entered correctly." },
  1038: {
    severity: 15,
    state: 4,
    text: 'An object or column name is missing or empty. For SELECT INTO statements, verify each column has a name. For other statements, look for empty alias names. Aliases defined as "" or [] are not allowed. Change the alias to a valid name.',
  },
  // The endpoint transport (emulator/hadr): connection errors and error-log lines.
  1474: { severity: 16, state: 1, text: "Database mirroring connection error %s '%s' for '%s'." },
  2740: { severity: 16, state: 1, text: "SET LANGUAGE failed because '%s' is not an official language name or a language alias on this SQL Server." },
  2741: { severity: 16, state: 1, text: "SET DATEFORMAT date order '%s' is invalid." },
  2742: { severity: 16, state: 1, text: "SET DATEFIRST %s is out of range." },
  2812: { severity: 16, state: 62, text: "Could not find stored procedure '%s'." },
  3902: { severity: 16, state: 1, text: "The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION." },
  3903: { severity: 16, state: 1, text: "The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION." },
  4104: { severity: 16, state: 1, text: 'The multi-part identifier "%s" could not be bound.' },
  4145: { severity: 15, state: 1, text: "An expression of non-boolean type specified in a context where a condition is expected, near '%s'." },
  4611: { severity: 16, state: 1, text: "To revoke or deny grantable privileges, specify the CASCADE option." },
  4613: { severity: 16, state: 1, text: "Grantor does not have GRANT permission." },
  4617: { severity: 16, state: 1, text: "Cannot grant, deny or revoke permissions to or from special roles." },
  4624: { severity: 16, state: 1, text: "Cannot grant, deny, or revoke permissions to sa, dbo, entity owner, information_schema, sys, or yourself." },
  5701: { severity: 0, state: 1, text: "Changed database context to '%s'." },
  5703: { severity: 0, state: 1, text: "Changed language setting to %s." },
  7801: { severity: 15, state: 1, text: "The required parameter %s was not specified." },
  7810: { severity: 15, state: 1, text: "The value '%s' is not within range for the '%s' parameter." },
  7860: { severity: 15, state: 1, text: "An endpoint's transport or content cannot be changed through the ALTER ENDPOINT statement. Use DROP ENDPOINT and execute the CREATE ENDPOINT statement to make these changes." },
  7862: { severity: 16, state: 1, text: "An endpoint of the requested type already exists. Only one endpoint of this type is supported. Use ALTER ENDPOINT or DROP the existing endpoint and execute the CREATE ENDPOINT statement." },
  7863: { severity: 16, state: 1, text: "The endpoint was not changed. The ALTER ENDPOINT statement did not contain any values to modify or update." },
  7869: { severity: 16, state: 1, text: "The endpoint name '%s' is reserved for used by SQL. Endpoint names cannot begin with '%s'." },
  7873: { severity: 16, state: 1, text: 'The endpoint "%s" is a built-in endpoint and cannot be dropped. Use the protocol configuration utilities to ADD or DROP Transact-SQL endpoints.' },
  // 7887 and 7888 are listed with severity 20 (connection-fatal); raised with 16 so a typo in LISTENER_IP does not drop the connection.
  7887: { severity: 16, state: 1, text: "The IPv6 address specified is not supported. Only addresses that are in their numeric, canonical form are supported for listening." },
  7888: { severity: 16, state: 1, text: "The IPv6 address specified is not supported. The server may not be configured to allow for IPv6 connectivity, or the address may not be in a recognized IPv6 format." },
  7890: { severity: 16, state: 1, text: "An error occurred while attempting to register the endpoint '%s'. One or more of the ports specified in the CREATE ENDPOINT statement may be bound to another process. Attempt the statement again with a different port or use netstat to find the application currently using the port and resolve the conflict." },
  8120: { severity: 16, state: 1, text: "Column '%s' is invalid in the select list because it is not contained in either an aggregate function or the GROUP BY clause." },
  8134: { severity: 16, state: 1, text: "Divide by zero error encountered." },
  9666: { severity: 10, state: 1, text: "The %s endpoint is in disabled or stopped state." },
  9690: { severity: 10, state: 1, text: "The %s protocol transport is now listening for connections." },
  9691: { severity: 10, state: 1, text: "The %s protocol transport has stopped listening for connections." },
  9692: { severity: 16, state: 1, text: "The %s protocol transport cannot listen on port %s because it is in use by another process." },
  9693: { severity: 16, state: 1, text: "The %s protocol transport could not listen for connections due to the following error: '%s'." },
  9754: { severity: 10, state: 1, text: "Connection attempt failed with error: '%s'." },
  9755: { severity: 10, state: 1, text: "An error occurred while receiving data: '%s'." },
  9758: { severity: 10, state: 1, text: "Login protocol negotiation error occurred." },
  15007: { severity: 16, state: 1, text: "'%s' is not a valid login or you do not have permission." },
  15010: { severity: 16, state: 1, text: "The database '%s' does not exist. Supply a valid database name. To see available databases, use sys.databases." },
  15021: { severity: 16, state: 1, text: "Invalid value given for parameter %s. Specify a valid parameter value." },
  15023: { severity: 16, state: 1, text: "User, group, or role '%s' already exists in the current database." },
  15025: { severity: 16, state: 1, text: "The server principal '%s' already exists." },
  15033: { severity: 16, state: 1, text: "'%s' is not a valid official language name." },
  15063: { severity: 16, state: 1, text: "The login already has an account under a different user name." },
  15099: { severity: 16, state: 1, text: "The MUST_CHANGE option cannot be used when CHECK_EXPIRATION is OFF." },
  15116: { severity: 16, state: 1, text: "Password validation failed. The password does not meet the operating system policy requirements because it is too short." },
  15117: { severity: 16, state: 1, text: "Password validation failed. The password does not meet the operating system policy requirements because it is too long." },
  15118: { severity: 16, state: 1, text: "Password validation failed. The password does not meet the operating system policy requirements because it is not complex enough." },
  15122: { severity: 16, state: 1, text: "The CHECK_EXPIRATION option cannot be used when CHECK_POLICY is OFF." },
  15128: { severity: 16, state: 1, text: "The CHECK_POLICY and CHECK_EXPIRATION options cannot be turned OFF when MUST_CHANGE is ON." },
  15138: { severity: 16, state: 1, text: "The database principal owns a %s in the database, and cannot be dropped." },
  15141: { severity: 16, state: 1, text: "The server principal owns one or more %s(s) and cannot be dropped." },
  15146: { severity: 16, state: 1, text: "An encryption password must be provided to encrypt the private key of this %s." },
  15147: { severity: 16, state: 1, text: "No decryption password should be provided because the private key of this %s is encrypted by a master key." },
  15150: { severity: 16, state: 1, text: "Cannot %s the %s '%s'." },
  15151: { severity: 16, state: 1, text: "Cannot %s the %s '%s', because it does not exist or you do not have permission." },
  15173: { severity: 16, state: 1, text: "Server principal '%s' has granted one or more permission(s). Revoke the permission(s) before dropping the server principal." },
  15208: { severity: 16, state: 1, text: "The certificate, asymmetric key, or private key file is not valid or does not exist; or you do not have permissions for it." },
  15212: { severity: 16, state: 1, text: "Invalid certificate subject. The certificate subject must have between 1 and %s characters." },
  15213: { severity: 16, state: 1, text: "Warning: The certificate you created has an invalid validity period; its expiration date precedes its start date." },
  15214: { severity: 10, state: 1, text: "Warning: The certificate you created is expired." },
  15215: { severity: 10, state: 1, text: "Warning: The certificate you created is not yet valid; its start date is in the future." },
  15232: { severity: 16, state: 1, text: "A certificate with name '%s' already exists or this certificate already has been added to the database." },
  15240: { severity: 16, state: 1, text: "Cannot write into file '%s'. Verify that you have write permissions, that the file path is valid, and that the file does not already exist." },
  15246: { severity: 16, state: 1, text: "Cannot dump the private key of certificate '%s' because the private key cannot be found." },
  15247: { severity: 16, state: 1, text: "User does not have permission to perform this action." },
  15297: { severity: 16, state: 1, text: "The certificate, asymmetric key, or private key data is invalid." },
  15313: { severity: 16, state: 1, text: "The key is not encrypted using the specified decryptor." },
  15320: { severity: 16, state: 1, text: "An error occurred while decrypting %s '%s' that was encrypted by the old master key. The FORCE option can be used to ignore this error and continue the operation, but data that cannot be decrypted by the old master key will become unavailable." },
  15329: { severity: 16, state: 1, text: "The current master key cannot be decrypted. If this is a database master key, you should attempt to open it in the session before performing this operation. The FORCE option can be used to ignore this error and continue the operation but the data encrypted by the old master key will be lost." },
  15332: { severity: 16, state: 1, text: "The private key is already set for this file. To change it you should drop and re-create the certificate." },
  15334: { severity: 16, state: 1, text: "The %s has a private key that is protected by a user defined password. That password needs to be provided to enable the use of the private key." },
  15345: { severity: 16, state: 1, text: "An entity of type %s cannot be owned by a role, a group, or by principals mapped to certificates or asymmetric keys." },
  15352: { severity: 16, state: 1, text: "The %s cannot be dropped because one or more entities are either signed or encrypted using it." },
  15407: { severity: 16, state: 1, text: "'%s' is not a valid Windows NT name. Give the complete name: <domain\\username>." },
  15419: { severity: 16, state: 1, text: "Supplied parameter sid should be binary(16)." },
  15433: { severity: 16, state: 1, text: "Supplied parameter sid is in use." },
  15434: { severity: 16, state: 1, text: "Could not drop login '%s' as the user is currently logged in." },
  15464: { severity: 16, state: 1, text: "Unsupported private key format or key length." },
  15465: { severity: 16, state: 1, text: "The private key password is invalid." },
  15466: { severity: 16, state: 1, text: "An error occurred during decryption." },
  15474: { severity: 16, state: 1, text: "Invalid private key. The private key does not match the public key of the %s." },
  15530: { severity: 16, state: 1, text: 'The %s with name "%s" already exists.' },
  15539: { severity: 16, state: 1, text: "User '%s' cannot be dropped, it can only be disabled. The user is already disabled in the current database." },
  15557: { severity: 16, state: 1, text: "There is already a %s by %s '%s'." },
  15558: { severity: 16, state: 1, text: "Cannot drop %s by %s '%s'." },
  15563: { severity: 16, state: 1, text: "The %s has no private key set for it." },
  15578: { severity: 16, state: 1, text: "There is already a master key in the database. Please drop it before performing this statement." },
  15580: { severity: 16, state: 1, text: "Cannot drop %s because %s '%s' is encrypted by it." },
  15581: { severity: 16, state: 7, text: "Please create a master key in the database or open the master key in the session before performing this operation." },
  18456: { severity: 14, state: 1, text: "Login failed for user '%s'." },
  18488: { severity: 14, state: 1, text: "Login failed for user '%s'. Reason: The password of the account must be changed." },
  26022: { severity: 10, state: 1, text: "Server is listening on [ %s <%s> %s]." },
  26023: { severity: 16, state: 1, text: "Server TCP provider failed to listen on [ %s <%s> %s]. Tcp port is already in use." },
  26024: { severity: 16, state: 1, text: "Server failed to listen on %s <%s> %s. Error: %s. To proceed, notify your system administrator." },
  28022: { severity: 10, state: 1, text: "An error occurred while looking up the public key certificate associated with this SQL Server instance: The certificate is not yet valid." },
  28023: { severity: 10, state: 1, text: "An error occurred while looking up the public key certificate associated with this SQL Server instance: The certificate has expired." },
  28027: { severity: 10, state: 1, text: "Connection handshake failed. There is no compatible %s. State %s." },
  28034: { severity: 10, state: 1, text: "Connection handshake failed. The login '%s' does not have CONNECT permission on the endpoint. State %s." },
  28035: { severity: 10, state: 1, text: "Connection handshake failed. The certificate used by the peer is invalid due to the following reason: %s. State %s." },
  28036: { severity: 10, state: 1, text: "Connection handshake failed. The certificate used by this endpoint was not found: %s. Use DBCC CHECKDB in master database to verify the metadata integrity of the endpoints. State %s." },
  28037: { severity: 10, state: 1, text: "Connection handshake failed. Error %s occurred while initializing the private key corresponding to the certificate. The SQL Server errorlog and the operating system error log may contain entries related to this error. State %s." },
  28038: { severity: 10, state: 1, text: "Connection handshake failed. The handshake verification failed. State %s." },
  28045: { severity: 10, state: 1, text: "Connection handshake failed. The certificate used by the peer does not match the one in master database with same issuer name and serial number. State %s." },
  28047: { severity: 10, state: 1, text: "%s login attempt failed with error: '%s'. %s" },
  28048: { severity: 10, state: 1, text: "%s login attempt by user '%s' failed with error: '%s'. %s" },
  28055: { severity: 16, state: 1, text: "The certificate '%s' is not valid for endpoint authentication. The certificate must have a private key encrypted with the database master key and current UTC date has to be between the certificate start date and the certificate expiration date." },
  28080: { severity: 10, state: 1, text: "Connection handshake failed. The %s endpoint is not configured. State %s." },
  50000: { severity: 16, state: 1, text: "%s is not supported by the emulator." },
  ...DATABASE_MESSAGES,
  ...AVAILABILITY_GROUP_MESSAGES,
};

/** Options for {@link sqlMessage}. */
export interface MessageOptions {
  /** 1-based line in the batch; default 1. */
  line?: number;
  /** Overrides the table's state. */
  state?: number;
  /** Overrides the table's severity. */
  severity?: number;
}

/** The table's text for `number` with `args` substituted, e.g. `messageText(15151, "drop", "login", "x")`. */
export function messageText(number: number, ...args: Array<string | number>): string {
  const def = MESSAGES[number];
  if (!def) throw new Error(`message ${number} is not in the emulator's table`);
  let i = 0;
  return def.text.replace(/%s/g, () => String(args[i++] ?? ""));
}

/** True when the table knows `number` (fault injection uses the table's text when it does). */
export function isKnownMessage(number: number): boolean {
  return number in MESSAGES;
}

/** Builds a {@link SqlMessage} from the table. */
export function sqlMessage(number: number, args: Array<string | number> = [], options: MessageOptions = {}): SqlMessage {
  const def = MESSAGES[number];
  if (!def) throw new Error(`message ${number} is not in the emulator's table`);
  return {
    number,
    state: options.state ?? def.state,
    class: options.severity ?? def.severity,
    message: messageText(number, ...args),
    line: options.line ?? 1,
  };
}

/**
 * How far an error reaches, as in SQL Server: `statement` ends the statement and the batch goes on
 * (XACT_ABORT OFF); `batch` ends the batch (compile errors, unresolvable objects).
 */
export type ErrorScope = "statement" | "batch";

/** An error raised while compiling or running T-SQL; carries the message SQL Server would send. */
export class SqlError extends Error {
  /** The message as the client receives it (line filled in by the executor when 0). */
  readonly sql: SqlMessage;
  /** Whether the rest of the batch still runs. */
  readonly scope: ErrorScope;
  /** Messages raised before this one by the same failure (e.g. 105 is followed by 102). */
  readonly preceding: SqlMessage[];
  /** Informational messages sent after it (e.g. 3621 "The statement has been terminated." after 2627). */
  readonly following: SqlMessage[];

  constructor(sql: SqlMessage, scope: ErrorScope = "statement", preceding: SqlMessage[] = [], following: SqlMessage[] = []) {
    super(sql.message);
    this.name = "SqlError";
    this.sql = sql;
    this.scope = scope;
    this.preceding = preceding;
    this.following = following;
  }
}

/** Throws a statement-level error from the table (the batch continues after it). */
export function fail(number: number, ...args: Array<string | number>): never {
  throw new SqlError(sqlMessage(number, args, { line: 0 }));
}

/** `15151 Cannot <action> the <kind> '<name>', because it does not exist or you do not have permission.` */
export function notFound(action: string, kind: string, name: string): never {
  return fail(15151, action, kind, name);
}

/** A compile-time error: nothing in the batch runs. */
export function compileError(number: number, line: number, ...args: Array<string | number>): SqlError {
  return new SqlError(sqlMessage(number, args, { line }), "batch");
}

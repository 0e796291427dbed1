/**
 * The SQL layer: T-SQL statements, catalog reads and connections for database-mirroring endpoints
 * with certificate authentication. It knows nothing of Pulumi; resources adapt their lifecycle to
 * the object operations below, which each take a {@link SqlClient} and make one round trip.
 */

// Connections and the executor.
export type { Recordset, Row, SqlClient, SqlParam, SqlParams, SqlParamType, Statement } from "./client";
export {
  closeAllPools,
  connectionConfigProblems,
  createSqlClient,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_PORT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  POOL_IDLE_TIMEOUT_MS,
  POOL_SIZE,
  type ConnectionConfig,
  type ConnectionProblem,
  type SqlClientOptions,
} from "./connection";

// Errors and retries.
export { classifyError, SqlServerError, toSqlServerError, ValidationError, type SqlErrorCategory, type SqlErrorContext } from "./errors";
export { ENDPOINT_MANAGED_ELSEWHERE } from "./hints";
export type { ServerMessage } from "./driverError";
export { REDACTED, scrubText } from "./scrub";
export {
  backoffDelay,
  DEFAULT_RETRY,
  isConnectionLevelError,
  isTransientError,
  TRANSIENT_ERROR_CODES,
  TRANSIENT_ERROR_NUMBERS,
  withRetry,
  type RetryOptions,
} from "./retry";

// Quoting and validation.
export { binaryLiteral, formatDateTime, quoteIdentifier, quoteString } from "./quote";
export {
  assertSysname,
  assertValid,
  canonicalIpv6,
  canonicalUtc,
  endpointPortWarning,
  MAX_LOGIN_PASSWORD_LENGTH,
  MAX_PORTABLE_SUBJECT_LENGTH,
  MAX_SUBJECT_LENGTH,
  MAX_SYSNAME_LENGTH,
  parseListenerAddress,
  parseUtcDate,
  subjectWarning,
  validateCertificateDates,
  validateDate,
  validateFilePath,
  validateIpAddress,
  validateLoginName,
  validatePassword,
  validatePasswordPolicy,
  MIN_POLICY_PASSWORD_LENGTH,
  validatePort,
  validateSubject,
  validateSysname,
  type ListenerAddress,
} from "./validate";

// Records and catalog reads.
export type * from "./records";
export {
  certificateNamesByThumbprintQuery,
  certificateQuery,
  endpointGrantsQuery,
  endpointPermissionQuery,
  endpointQuery,
  loginQuery,
  masterKeyQuery,
  mirroringEndpointQuery,
  userQuery,
  type CatalogQuery,
} from "./catalog";

// Statement builders (pure).
export * from "./statements/masterKey";
export * from "./statements/certificate";
export * from "./statements/endpoint";
export * from "./statements/endpointOwnership";
export * from "./statements/login";
export * from "./statements/user";
export * from "./statements/permission";

// Object operations (one round trip each).
export type { CreateOptions, CreateResult } from "./objects/run";
export * from "./objects/masterKey";
export * from "./objects/certificate";
export * from "./objects/endpoint";
export * from "./objects/login";
export * from "./objects/user";
export * from "./objects/permission";

// Availability groups: records, rules, catalog reads, statements, operations and waits.
export { conflictError, displayName } from "./errors";
export type * from "./availabilityGroupRecords";
export * from "./validateAvailabilityGroup";
export {
  availabilityDatabaseQuery,
  availabilityGroupQuery,
  backupCoversDatabase,
  databasePrerequisitesQuery,
  hadrReadinessQuery,
  localDatabaseQuery,
  localReplicaQuery,
  serverNameQuery,
  type HadrReadinessRecord,
  type LocalDatabaseRecord,
} from "./availabilityGroupCatalog";
export * from "./statements/availabilityGroup";
export * from "./objects/availabilityGroup";
export * from "./objects/availabilityGroupWait";

// Database mirroring sessions: records, rules, catalog reads, statements, operations and waits.
export type * from "./mirroringRecords";
export * from "./validateMirroring";
export { mirroringPartnerQuery, mirroringWitnessQuery, seedingStateQuery } from "./mirroringCatalog";
export * from "./statements/mirroring";
export * from "./objects/mirroring";
export * from "./objects/mirroringWait";

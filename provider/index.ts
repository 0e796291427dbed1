/**
 * pulumi-mssql-mirroring: SQL Server database-mirroring and Always On endpoints with certificate
 * authentication, declared as Pulumi resources.
 *
 * - Components: {@link MirroringTopology} (an estate: instances declared once, the availability
 *   groups and mirroring sessions over them, the transport derived; or one pair / one group),
 *   {@link MirroringInstance} (one instance's master key, certificate and endpoint),
 *   {@link PeerTrust} (one instance accepting one peer), and {@link RotationOrder} to keep a
 *   certificate rotation safe when composing those two by hand.
 * - Resources: {@link MasterKey}, {@link Certificate}, {@link MirroringEndpoint}, {@link Login},
 *   {@link User}, {@link PeerCertificate}, {@link EndpointPermission}, {@link CertificateBackup}.
 * - Availability groups: {@link AvailabilityGroup} (on the current primary),
 *   {@link AvailabilityGroupJoin} (on each secondary), {@link AvailabilityGroupDatabase} (one
 *   database), {@link ServerName} (an instance's `@@SERVERNAME`, the replica's name).
 * - Database mirroring: {@link MirroringSession} (one database between two partners, optional witness).
 */
export {
  MirroringTopology,
  type InstanceSpec,
  type MirroringTopologyArgs,
  type TopologyCertificateArgs,
  type TopologyAvailabilityGroupArgs,
  type AvailabilityReplicaOptions,
  type TopologyAvailabilityGroup,
  type EstateAvailabilityGroupArgs,
  type EstateMirroringSessionArgs,
} from "./components/mirroringTopology";
export {
  planEstate,
  groupPath,
  type EstateShape,
  type EstateGroupShape,
  type EstateSessionShape,
  type EstatePlan,
  type PlannedUse,
  type PlannedEstateGroup,
} from "./components/estatePlan";
export { RotationOrder } from "./components/rotationOrder";
export {
  planAvailabilityGroups,
  type AvailabilityGroupShape,
  type AvailabilityGroupsPlan,
  type PlannedAvailabilityGroup,
  type PlannedReplica,
  type PlannedDatabase,
} from "./components/availabilityGroupPlan";
export {
  planMirroringSessions,
  type TopologyMirroringArgs,
  type MirroringSessionShape,
  type MirroringSessionsPlan,
  type PlannedMirroringSession,
} from "./components/mirroringSessionPlan";
export { MirroringInstance, type MirroringInstanceArgs, type InstanceEndpointArgs, type InstanceCertificateArgs } from "./components/mirroringInstance";
export { PeerTrust, type PeerTrustArgs } from "./components/peerTrust";
export { planTopology, TopologyValidationError, type TopologyPlan, type PlannedInstance, type PlannedTrust, type InstanceShape } from "./components/plan";
export { MasterKey, type MasterKeyArgs } from "./resources/masterKey";
export { Certificate, type CertificateArgs } from "./resources/certificate";
export {
  MirroringEndpoint,
  type MirroringEndpointArgs,
  type EndpointState,
  type EndpointRole,
  type EndpointEncryption,
  type EncryptionAlgorithm,
} from "./resources/mirroringEndpoint";
export { Login, type LoginArgs } from "./resources/login";
export { User, type UserArgs } from "./resources/user";
export { PeerCertificate, type PeerCertificateArgs } from "./resources/peerCertificate";
export { EndpointPermission, type EndpointPermissionArgs } from "./resources/endpointPermission";
export { CertificateBackup, type CertificateBackupArgs } from "./resources/certificateBackup";
export {
  AvailabilityGroup,
  type AvailabilityGroupArgs,
  type AvailabilityGroupClusterType,
  type AvailabilityReplicaArgs,
  type ReplicaHealthOutput,
} from "./resources/availabilityGroup";
export { AvailabilityGroupJoin, type AvailabilityGroupJoinArgs } from "./resources/availabilityGroupJoin";
export { AvailabilityGroupDatabase, type AvailabilityGroupDatabaseArgs, type DatabaseCopyState } from "./resources/availabilityGroupDatabase";
export { ServerName, type ServerNameArgs } from "./resources/serverName";
export { MirroringSession, type MirroringSessionArgs, type MirroringPartnerArgs, type MirroringWitnessArgs } from "./resources/mirroringSession";
export type {
  AutomatedBackupPreference,
  AvailabilityMode,
  FailoverMode,
  PrimaryAllowConnections,
  SecondaryAllowConnections,
  SeedingMode,
} from "./sql/availabilityGroupRecords";
export type { MirroringSafety } from "./sql/mirroringRecords";
export type { ConnectionArgs } from "./resources/connection";
export { RESOURCE_KINDS } from "./resources/registry";

/**
 * Entry point of the serialized providers stored in state: `require("pulumi-mssql-mirroring")
 * .__dynamicProvider(kind)`. Not for use in programs.
 * @internal
 */
export { dynamicProvider as __dynamicProvider } from "./resources/registry";

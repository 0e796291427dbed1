/**
 * pulumi-mssql-mirroring: SQL Server database-mirroring and Always On endpoints with certificate
 * authentication, declared as Pulumi resources.
 *
 * - Components: {@link MirroringTopology} (a whole mirroring session or AG mesh),
 *   {@link MirroringInstance} (one instance's master key, certificate and endpoint),
 *   {@link PeerTrust} (one instance accepting one peer).
 * - Resources: {@link MasterKey}, {@link Certificate}, {@link MirroringEndpoint}, {@link Login},
 *   {@link User}, {@link PeerCertificate}, {@link EndpointPermission}, {@link CertificateBackup}.
 */
export { MirroringTopology, type InstanceSpec, type MirroringTopologyArgs, type TopologyCertificateArgs } from "./components/mirroringTopology";
export { MirroringInstance, type MirroringInstanceArgs, type InstanceEndpointArgs, type InstanceCertificateArgs } from "./components/mirroringInstance";
export { PeerTrust, type PeerTrustArgs } from "./components/peerTrust";
export { planTopology, TopologyValidationError, type TopologyPlan, type PlannedInstance, type PlannedTrust } from "./components/plan";
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
export type { ConnectionArgs } from "./resources/connection";
export { RESOURCE_KINDS } from "./resources/registry";

/**
 * Entry point of the serialized providers stored in state: `require("pulumi-mssql-mirroring")
 * .__dynamicProvider(kind)`. Not for use in programs.
 * @internal
 */
export { dynamicProvider as __dynamicProvider } from "./resources/registry";

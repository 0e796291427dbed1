/**
 * The provider implementation of each resource kind. The serialized `__provider` of every resource
 * only names its kind (see thinProvider.ts); this table, from the installed package, does the work.
 */
import type * as pulumi from "@pulumi/pulumi";
import { availabilityGroupProvider } from "./availabilityGroup";
import { availabilityGroupDatabaseProvider } from "./availabilityGroupDatabase";
import { availabilityGroupJoinProvider } from "./availabilityGroupJoin";
import { certificateProvider } from "./certificate";
import { certificateBackupProvider } from "./certificateBackup";
import { endpointPermissionProvider } from "./endpointPermission";
import { loginProvider } from "./login";
import { masterKeyProvider } from "./masterKey";
import { mirroringEndpointProvider } from "./mirroringEndpoint";
import { mirroringSessionProvider } from "./mirroringSession";
import { peerCertificateProvider } from "./peerCertificate";
import { serverNameProvider } from "./serverName";
import { userProvider } from "./user";

const providers: Readonly<Record<string, pulumi.dynamic.ResourceProvider>> = {
  MasterKey: masterKeyProvider,
  Certificate: certificateProvider,
  MirroringEndpoint: mirroringEndpointProvider,
  Login: loginProvider,
  User: userProvider,
  PeerCertificate: peerCertificateProvider,
  EndpointPermission: endpointPermissionProvider,
  CertificateBackup: certificateBackupProvider,
  ServerName: serverNameProvider,
  AvailabilityGroup: availabilityGroupProvider,
  AvailabilityGroupJoin: availabilityGroupJoinProvider,
  AvailabilityGroupDatabase: availabilityGroupDatabaseProvider,
  MirroringSession: mirroringSessionProvider,
};

/** The resource kinds this package registers (`pulumi-nodejs:dynamic/mssql-mirroring:<kind>`). */
export const RESOURCE_KINDS = Object.keys(providers);

/**
 * The implementation for a kind. Called by the serialized provider stored in state.
 * @internal
 */
export function dynamicProvider(kind: string): Required<pulumi.dynamic.ResourceProvider> {
  const provider = providers[kind];
  if (provider === undefined) {
    throw new Error(`pulumi-mssql-mirroring has no resource kind '${kind}' (known: ${RESOURCE_KINDS.join(", ")}); is the installed package older than the one that created this stack?`);
  }
  return provider as Required<pulumi.dynamic.ResourceProvider>;
}

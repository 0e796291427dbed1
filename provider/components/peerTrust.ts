/**
 * `PeerTrust`: the inbound side — on the receiving instance, everything that lets one peer connect:
 * a login and a user standing for the peer, the peer's public certificate owned by that user, and
 * CONNECT on the receiver's endpoint for the login (Microsoft's "Use Certificates for Inbound
 * Connections", in that order).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../resources/connection";
import { EndpointPermission } from "../resources/endpointPermission";
import { Login } from "../resources/login";
import { PeerCertificate } from "../resources/peerCertificate";
import { User } from "../resources/user";

/** Arguments of {@link PeerTrust}. */
export interface PeerTrustArgs {
  /** The receiving instance. */
  connection: ConnectionArgs;
  /** Name of the receiver's DATABASE_MIRRORING endpoint (pass the endpoint's `name` output so the grant waits for it). */
  endpointName: pulumi.Input<string>;
  /** Logical name of the peer; it becomes part of the login, user and certificate names. */
  peerName: string;
  /** The peer's public certificate, DER as base64 (its `Certificate.publicKey`). */
  publicKey: pulumi.Input<string>;
  /** Prefix of the derived object names. Default `mirroring_`. */
  namePrefix?: string;
  /** Login name. Default `<namePrefix><peerName>_login`. */
  loginName?: pulumi.Input<string>;
  /** User name. Default `<namePrefix><peerName>_user`. */
  userName?: pulumi.Input<string>;
  /** Logical name of the receiving instance, for expiry warnings. Default: this component's name. */
  instanceName?: string;
  /** Warn this many days before the imported certificate expires. Default 30. */
  warnBeforeDays?: number;
  /** Whether the imported certificate prints expiry warnings. Default `true`. */
  expiryWarnings?: boolean;
}

/** Lets one peer connect to this instance's endpoint. */
export class PeerTrust extends pulumi.ComponentResource {
  /** The login standing for the peer. */
  readonly login: Login;
  /** The user in master mapped to the login; it owns the peer certificate. */
  readonly user: User;
  /** The peer's imported public certificate. */
  readonly certificate: PeerCertificate;
  /** CONNECT on the endpoint for the login. */
  readonly permission: EndpointPermission;

  constructor(name: string, args: PeerTrustArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mssql-mirroring:index:PeerTrust", name, {}, opts);
    const prefix = args.namePrefix ?? "mirroring_";
    const connection = args.connection;
    this.login = new Login(`${name}-login`, { connection, name: args.loginName ?? `${prefix}${args.peerName}_login` }, { parent: this });
    this.user = new User(`${name}-user`, { connection, name: args.userName ?? `${prefix}${args.peerName}_user`, login: this.login.name }, { parent: this });
    this.certificate = new PeerCertificate(
      `${name}-certificate`,
      {
        connection,
        owner: this.user.name,
        publicKey: args.publicKey,
        namePrefix: `${prefix}${args.peerName}_peer`,
        instanceName: args.instanceName ?? name,
        peerName: args.peerName,
        warnBeforeDays: args.warnBeforeDays,
        expiryWarnings: args.expiryWarnings,
      },
      { parent: this },
    );
    this.permission = new EndpointPermission(
      `${name}-connect`,
      { connection, endpoint: args.endpointName, login: this.login.name },
      // The grant is what lets the peer in: only once its certificate is in place.
      { parent: this, dependsOn: [this.certificate] },
    );
    this.registerOutputs({ thumbprint: this.certificate.thumbprint, login: this.login.name });
  }
}

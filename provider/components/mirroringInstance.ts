/**
 * `MirroringInstance`: the outbound side of one instance — master key → certificate → endpoint
 * (+ an optional certificate backup). Its certificate's public key is what peers import.
 */
import * as pulumi from "@pulumi/pulumi";
import { Certificate } from "../resources/certificate";
import { CertificateBackup } from "../resources/certificateBackup";
import type { ConnectionArgs } from "../resources/connection";
import { MasterKey } from "../resources/masterKey";
import { conflictingClaims, instanceKey, recordClaims } from "./instanceClaims";
import { instanceSettingsProblems, TopologyValidationError, type InstanceSettings, type InstanceShape } from "./plan";
import {
  MirroringEndpoint,
  type EncryptionAlgorithm,
  type EndpointEncryption,
  type EndpointRole,
  type EndpointState,
} from "../resources/mirroringEndpoint";

/** Endpoint settings of an instance. */
export interface InstanceEndpointArgs {
  /** Endpoint name. Default `hadr_endpoint`. */
  name?: pulumi.Input<string>;
  /** `LISTENER_PORT`. Default 5022. */
  port?: pulumi.Input<number>;
  /** `LISTENER_IP`. Default `ALL`. */
  listenerIp?: pulumi.Input<string>;
  /** `STATE`. Default `STARTED`. */
  state?: pulumi.Input<EndpointState>;
  /** Per-instance `ENCRYPTION` (overrides the topology's). Default `REQUIRED`. */
  encryption?: EndpointEncryption;
  /** Per-instance `ALGORITHM` (overrides the topology's). Default `AES`. */
  algorithm?: EncryptionAlgorithm;
  /** Owning login. Default: the connecting login. */
  owner?: pulumi.Input<string>;
  /** Adopt the instance's existing DATABASE_MIRRORING endpoint (restored on destroy). Default `false`. */
  adopt?: pulumi.Input<boolean>;
}

/** Certificate settings of an instance. */
export interface InstanceCertificateArgs {
  /** Fixed certificate name. Default: generated, and regenerated on every rotation. */
  name?: pulumi.Input<string>;
  /** `WITH SUBJECT`. Default `mirroring <instance name>`. */
  subject?: pulumi.Input<string>;
  /** `START_DATE`, ISO-8601 UTC. Default: now. */
  startDate?: pulumi.Input<string>;
  /** `EXPIRY_DATE`, ISO-8601 UTC. Default: start + validityDays. */
  expiryDate?: pulumi.Input<string>;
  /** Validity in days when no expiry date is given. Default 365. */
  validityDays?: pulumi.Input<number>;
  /**
   * Automatic rotation: a `pulumi preview` / `up` from this many days before the expiry on replaces
   * the certificate with one valid `validityDays` from then, without refusing a connection (see
   * `MirroringTopology`). Needs `validityDays`, less than it; no fixed dates. Default: off.
   */
  rotateBeforeDays?: pulumi.Input<number>;
  /**
   * `pulumi preview` / `up` print a warning naming the instance, the certificate and its expiry date
   * from this many days before it (0 = only the error-level message once it has expired). Default 30.
   */
  warnBeforeDays?: number;
}

/** Arguments of {@link MirroringInstance}. */
export interface MirroringInstanceArgs {
  /** How to reach the instance. */
  connection: ConnectionArgs;
  /** Password of the master key (secret). Only used if this stack creates the key. */
  masterKeyPassword: pulumi.Input<string>;
  /** Adopt an existing master key (never altered or dropped). Default `true`. */
  adoptMasterKey?: pulumi.Input<boolean>;
  /** Host name peers use to reach the endpoint. Default `connection.server`. */
  endpointHost?: pulumi.Input<string>;
  /** Endpoint settings. */
  endpoint?: InstanceEndpointArgs;
  /** `ROLE` of the endpoint. Default `ALL`. */
  role?: pulumi.Input<EndpointRole>;
  /** Certificate settings. */
  certificate?: InstanceCertificateArgs;
  /** Back the certificate up to files on the server (optional). */
  backup?: { file: pulumi.Input<string>; privateKey?: { file: pulumi.Input<string>; password: pulumi.Input<string> } };
  /** The instance's name in expiry warnings. Default: this component's name. */
  instanceName?: string;
  /**
   * Resources that must exist before the endpoint switches to a (new) certificate: the peers'
   * imports of this instance's certificate. This is what makes a rotation cut no connection.
   */
  endpointDependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
}

function plain<T>(v: unknown, kind: "string" | "number"): T | undefined {
  return typeof v === kind ? (v as T) : undefined;
}

/**
 * What planning checks about an instance: the plain values among its arguments (an Output, not
 * known before the program runs, is left out and checked by its resource).
 */
export function instanceShapeOf(args: Pick<MirroringInstanceArgs, "connection" | "masterKeyPassword" | "endpoint" | "certificate">): Omit<InstanceShape, "name"> {
  const e = args.endpoint;
  const c = args.certificate;
  const settings: InstanceSettings = {
    masterKeyPassword: plain(args.masterKeyPassword, "string"),
    endpointName: plain(e?.name, "string"),
    listenerIp: plain(e?.listenerIp, "string"),
    endpointState: plain(e?.state, "string"),
    endpointOwner: plain(e?.owner, "string"),
    certificateName: plain(c?.name, "string"),
    subject: plain(c?.subject, "string"),
    startDate: plain(c?.startDate, "string"),
    expiryDate: plain(c?.expiryDate, "string"),
    validityDays: plain(c?.validityDays, "number"),
    // Whether rotation fits its validity and dates can only be told when all of them are known now;
    // otherwise the Certificate's own check tells at preview.
    rotateBeforeDays: [c?.validityDays, c?.startDate, c?.expiryDate].every((v) => v === undefined || typeof v === "number" || typeof v === "string")
      ? plain(c?.rotateBeforeDays, "number")
      : undefined,
    warnBeforeDays: c?.warnBeforeDays,
  };
  return {
    server: plain(args.connection?.server, "string"),
    port: plain(args.connection?.port, "number"),
    endpointPort: plain(e?.port, "number"),
    encryption: e?.encryption,
    algorithm: e?.algorithm,
    settings: Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as InstanceSettings,
  };
}

/** Master key, certificate and endpoint of one instance. */
export class MirroringInstance extends pulumi.ComponentResource {
  /** The master key of `master`. */
  readonly masterKey: MasterKey;
  /** The endpoint certificate. */
  readonly certificate: Certificate;
  /** The DATABASE_MIRRORING endpoint. */
  readonly endpoint: MirroringEndpoint;
  /** The certificate backup, when requested. */
  readonly backup?: CertificateBackup;
  /** `TCP://host:port` of the endpoint. */
  readonly endpointUrl: pulumi.Output<string>;
  /** The certificate's public part (DER, base64), for peers to import. */
  readonly publicKey: pulumi.Output<string>;
  /** The certificate's `EXPIRY_DATE` as SQL Server records it, ISO-8601 UTC. */
  readonly certificateExpiry: pulumi.Output<string>;

  constructor(name: string, args: MirroringInstanceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mssql-mirroring:index:MirroringInstance", name, {}, opts);
    // Every setting known now is checked before anything is declared: `pulumi up` must not create
    // the master key and then stop at a bad endpoint port.
    const problems = instanceSettingsProblems(instanceShapeOf(args));
    // One declaration per instance in a program (a topology claims its instances under these names).
    const claim = { owner: name, label: "this instance", declaredBy: `MirroringInstance '${name}'`, key: instanceKey(args.connection?.server, args.connection?.port) };
    problems.push(...conflictingClaims([claim]));
    if (problems.length > 0) throw new TopologyValidationError(problems, `MirroringInstance '${name}'`);
    recordClaims([claim]);
    const connection = args.connection;
    this.masterKey = new MasterKey(
      `${name}-master-key`,
      { connection, password: args.masterKeyPassword, adopt: args.adoptMasterKey ?? true },
      { parent: this },
    );
    this.certificate = new Certificate(
      `${name}-certificate`,
      {
        connection,
        name: args.certificate?.name,
        subject: args.certificate?.subject ?? `mirroring ${name}`,
        startDate: args.certificate?.startDate,
        expiryDate: args.certificate?.expiryDate,
        validityDays: args.certificate?.validityDays,
        rotateBeforeDays: args.certificate?.rotateBeforeDays,
        warnBeforeDays: args.certificate?.warnBeforeDays,
        instanceName: args.instanceName ?? name,
      },
      { parent: this, dependsOn: [this.masterKey] },
    );
    const endpoint = args.endpoint ?? {};
    this.endpoint = new MirroringEndpoint(
      `${name}-endpoint`,
      {
        connection,
        name: endpoint.name,
        port: endpoint.port,
        listenerIp: endpoint.listenerIp,
        state: endpoint.state,
        encryption: endpoint.encryption,
        algorithm: endpoint.algorithm,
        owner: endpoint.owner,
        adopt: endpoint.adopt,
        role: args.role,
        endpointHost: args.endpointHost,
        certificateName: this.certificate.certificateName,
      },
      { parent: this, dependsOn: args.endpointDependsOn ?? [] },
    );
    if (args.backup) {
      this.backup = new CertificateBackup(
        `${name}-certificate-backup`,
        { connection, certificateName: this.certificate.certificateName, file: args.backup.file, privateKey: args.backup.privateKey },
        { parent: this },
      );
    }
    this.endpointUrl = this.endpoint.url;
    this.publicKey = this.certificate.publicKey;
    this.certificateExpiry = this.certificate.expiryDate;
    this.registerOutputs({
      endpointUrl: this.endpointUrl,
      thumbprint: this.certificate.thumbprint,
      certificateName: this.certificate.certificateName,
      certificateExpiry: this.certificateExpiry,
    });
  }
}

/**
 * `MirroringTopology`: a whole database-mirroring session (two partners, optional witness) or an
 * availability-group mesh, as one declaration. Each instance gets its outbound objects; each
 * instance trusts each peer it must accept; the dependency graph orders a certificate rotation so
 * that no new connection is ever refused.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ConnectionArgs } from "../resources/connection";
import {
  instanceShapeOf,
  MirroringInstance,
  type InstanceCertificateArgs,
  type InstanceEndpointArgs,
} from "./mirroringInstance";
import { PeerTrust } from "./peerTrust";
import { planTopology, type EncryptionAlgorithm, type EndpointEncryption, type InstanceShape } from "./plan";

/** One SQL Server instance of a topology. */
export interface InstanceSpec {
  /** Logical name, unique in the topology (letters, digits, `_`, `-`); used in derived object names. */
  name: string;
  /** How to reach the instance. */
  connection: ConnectionArgs;
  /** Master key password (secret); used only when the key is created by this stack. */
  masterKeyPassword: pulumi.Input<string>;
  /** Host peers use to reach this instance's endpoint. Default `connection.server`. */
  endpointHost?: pulumi.Input<string>;
  /** Endpoint settings (name, port, listener IP, state, per-instance encryption/algorithm, adoption). */
  endpoint?: InstanceEndpointArgs;
  /** Certificate settings; override the topology's defaults. */
  certificate?: InstanceCertificateArgs;
  /** Adopt an existing master key. Default `true`. */
  adoptMasterKey?: pulumi.Input<boolean>;
  /** Back this instance's certificate up to files on its server. */
  backup?: { file: pulumi.Input<string>; privateKey?: { file: pulumi.Input<string>; password: pulumi.Input<string> } };
}

/** Arguments of {@link MirroringTopology}: `partners` (+ `witness`) or `replicas`. */
export interface MirroringTopologyArgs {
  /** Database mirroring: exactly two partners (endpoint role PARTNER). */
  partners?: [InstanceSpec, InstanceSpec];
  /** Database mirroring: an optional witness (endpoint role WITNESS). */
  witness?: InstanceSpec;
  /** Availability group: 2–9 replicas, every one trusting every other (endpoint role ALL). */
  replicas?: InstanceSpec[];
  /** `ENCRYPTION` of every endpoint unless an instance overrides it. Default `REQUIRED`. */
  encryption?: EndpointEncryption;
  /** `ALGORITHM` of every endpoint unless an instance overrides it. Default `AES`. */
  algorithm?: EncryptionAlgorithm;
  /** Certificate defaults for every instance (each instance's `certificate` overrides them). */
  certificate?: TopologyCertificateArgs;
  /** Prefix of derived login, user and certificate names. Default `mirroring_`. */
  namePrefix?: string;
}

/** Certificate defaults of a topology; see {@link InstanceCertificateArgs} for each field. */
export type TopologyCertificateArgs = Pick<InstanceCertificateArgs, "subject" | "validityDays" | "rotateBeforeDays" | "warnBeforeDays">;

/** An instance's certificate settings with the topology's defaults filled in. */
function certificateWithDefaults(own: InstanceCertificateArgs | undefined, defaults: TopologyCertificateArgs | undefined): InstanceCertificateArgs {
  return {
    ...own,
    subject: own?.subject ?? defaults?.subject,
    validityDays: own?.validityDays ?? defaults?.validityDays,
    rotateBeforeDays: own?.rotateBeforeDays ?? defaults?.rotateBeforeDays,
    warnBeforeDays: own?.warnBeforeDays ?? defaults?.warnBeforeDays,
  };
}

function plain<T>(v: pulumi.Input<T> | undefined, kind: "string" | "number"): T | undefined {
  return typeof v === kind ? (v as T) : undefined;
}

function shapeOf(spec: InstanceSpec, defaults: MirroringTopologyArgs["certificate"]): InstanceShape {
  // Certificate settings fall back to the topology's, as the instance's Certificate gets them.
  const certificate = certificateWithDefaults(spec.certificate, defaults);
  return {
    ...instanceShapeOf({ ...spec, certificate }),
    name: spec.name,
    endpointHost: plain<string>(spec.endpointHost, "string"),
  };
}

/** A database-mirroring session or an availability-group mesh. */
export class MirroringTopology extends pulumi.ComponentResource {
  /** Each instance's outbound objects, by logical name. */
  readonly instances: Record<string, MirroringInstance>;
  /** Each receiving instance's trusts, by `"<receiver>/<peer>"`. */
  readonly trusts: Record<string, PeerTrust>;
  /** `TCP://host:port` of each instance's endpoint, by logical name. */
  readonly endpointUrls: pulumi.Output<Record<string, string>>;
  /** Each instance's certificate `EXPIRY_DATE` (ISO-8601 UTC, as SQL Server records it), by logical name. */
  readonly certificateExpiries: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: MirroringTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("mssql-mirroring:index:MirroringTopology", name, {}, opts);
    const specs = [...(args.partners ?? []), ...(args.witness ? [args.witness] : []), ...(args.replicas ?? [])];
    // Throws with every problem before a single resource is declared.
    const defaults = args.certificate;
    const plan = planTopology({
      partners: args.partners?.map((p) => shapeOf(p, defaults)),
      witness: args.witness ? shapeOf(args.witness, defaults) : undefined,
      replicas: args.replicas?.map((r) => shapeOf(r, defaults)),
      encryption: args.encryption,
      algorithm: args.algorithm,
    });
    const specByName = new Map(specs.map((s) => [s.name, s]));

    // Each endpoint waits for every peer's import of its certificate: on rotation the new public
    // key is everywhere before the endpoint presents it. Resolved once the trusts are declared.
    const gates = new Map<string, { resolve: (r: pulumi.Resource[]) => void; promise: Promise<pulumi.Resource[]> }>();
    for (const p of plan.instances) {
      let resolve!: (r: pulumi.Resource[]) => void;
      const promise = new Promise<pulumi.Resource[]>((r) => (resolve = r));
      gates.set(p.name, { resolve, promise });
    }

    this.instances = {};
    for (const p of plan.instances) {
      const spec = specByName.get(p.name)!;
      this.instances[p.name] = new MirroringInstance(
        `${name}-${p.name}`,
        {
          connection: spec.connection,
          masterKeyPassword: spec.masterKeyPassword,
          adoptMasterKey: spec.adoptMasterKey,
          endpointHost: spec.endpointHost,
          endpoint: { ...spec.endpoint, encryption: p.encryption, algorithm: p.algorithm },
          role: p.role,
          certificate: {
            ...certificateWithDefaults(spec.certificate, args.certificate),
            subject: spec.certificate?.subject ?? args.certificate?.subject ?? `mirroring ${p.name}`,
          },
          instanceName: p.name,
          backup: spec.backup,
          endpointDependsOn: gates.get(p.name)!.promise,
        },
        { parent: this },
      );
    }

    this.trusts = {};
    const importsOf = new Map<string, pulumi.Resource[]>(plan.instances.map((p) => [p.name, []]));
    for (const t of plan.trusts) {
      const receiver = specByName.get(t.receiver)!;
      const trust = new PeerTrust(
        `${name}-${t.receiver}-trusts-${t.peer}`,
        {
          connection: receiver.connection,
          endpointName: this.instances[t.receiver]!.endpoint.name,
          peerName: t.peer,
          publicKey: this.instances[t.peer]!.publicKey,
          namePrefix: args.namePrefix,
          instanceName: t.receiver,
          // The peer's own certificate reports this expiry date already (the copy is the same certificate).
          expiryWarnings: false,
        },
        { parent: this },
      );
      this.trusts[`${t.receiver}/${t.peer}`] = trust;
      importsOf.get(t.peer)!.push(trust.certificate);
    }
    for (const [instance, gate] of gates) gate.resolve(importsOf.get(instance)!);

    this.endpointUrls = pulumi.all(Object.fromEntries(Object.entries(this.instances).map(([n, i]) => [n, i.endpointUrl])));
    this.certificateExpiries = pulumi.all(Object.fromEntries(Object.entries(this.instances).map(([n, i]) => [n, i.certificateExpiry])));
    this.registerOutputs({ endpointUrls: this.endpointUrls, certificateExpiries: this.certificateExpiries });
  }
}

/**
 * `PeerCertificate`: another instance's public certificate, imported into `master` and owned by the
 * user that stands for that instance, so its inbound connections authenticate.
 */
import { createHash, X509Certificate } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { changeCertificateOwner, createPeerCertificate, dropCertificate, readCertificate, validateFilePath } from "../sql";
import { MssqlResource } from "./base";
import { certificateOutputs, chooseName, pickOutputs } from "./certificate";
import { Checker } from "./checks";
import { checkConnection, connectionInput, type ConnectionArgs } from "./connection";
import { clientFor, CREATE_PENDING, createKeepingPending, diffResult, GONE, ObjectExistsError, objectId, refreshedInputs, withoutProvider, type Props } from "./lifecycle";
import { isUnknown } from "./unknown";
import { checkWarnBeforeDays, watchExpiry } from "./expiryWarnings";

/** Arguments of {@link PeerCertificate}. */
export interface PeerCertificateArgs {
  /** The receiving instance. Changing server or port replaces the certificate. */
  connection: ConnectionArgs;
  /**
   * `CREATE CERTIFICATE <name>`. Default: `<namePrefix>_<first 8 hex digits of the thumbprint>`, so
   * a new public key gets a new name and a rotation imports it beside the old one. Changing it replaces.
   */
  name?: pulumi.Input<string>;
  /** Prefix of generated names. Default `mirroring_peer`. */
  namePrefix?: pulumi.Input<string>;
  /** `AUTHORIZATION <owner>`: the user in master that stands for the peer. Changed in place (`ALTER AUTHORIZATION`). */
  owner: pulumi.Input<string>;
  /**
   * `FROM BINARY`: the peer's public certificate as DER, base64 (what {@link Certificate.publicKey}
   * outputs) or `0x`-prefixed hex (what `CERTENCODED` shows). Changing it replaces the certificate.
   */
  publicKey?: pulumi.Input<string>;
  /** `FROM FILE`: a path readable by the SQL Server service instead of {@link publicKey}. Changing it replaces. */
  file?: pulumi.Input<string>;
  /**
   * Print a warning during `pulumi preview` and `up` from this many days before the imported
   * certificate expires (0 = none until it has expired, when an error-level message is printed
   * instead). Program-side only. Default 30.
   */
  warnBeforeDays?: number;
  /**
   * Whether this resource prints those messages. Default `true`; `MirroringTopology` turns it off
   * because each instance's own certificate already reports the same expiry date.
   */
  expiryWarnings?: boolean;
  /** The receiving instance's name in those messages. Default: this resource's name. */
  instanceName?: pulumi.Input<string>;
  /** The peer's name in those messages. Default: the certificate's subject. */
  peerName?: pulumi.Input<string>;
}

/** A peer's public certificate in `master`. */
export class PeerCertificate extends MssqlResource {
  /** The certificate's name in master. */
  declare readonly certificateName: pulumi.Output<string>;
  /** `sys.certificates.certificate_id`. */
  declare readonly certificateId: pulumi.Output<number>;
  /** SHA-1 of the DER, uppercase hex without `0x` (`sys.certificates.thumbprint`). */
  declare readonly thumbprint: pulumi.Output<string>;
  /** `sys.certificates.subject`. */
  declare readonly subject: pulumi.Output<string>;
  /** `sys.certificates.start_date`, ISO-8601 UTC. */
  declare readonly startDate: pulumi.Output<string>;
  /** `sys.certificates.expiry_date`, ISO-8601 UTC. */
  declare readonly expiryDate: pulumi.Output<string>;
  /** The owning user, as the catalog reports it. */
  declare readonly owner: pulumi.Output<string>;

  constructor(name: string, args: PeerCertificateArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "PeerCertificate",
      name,
      {
        connection: connectionInput(args.connection),
        name: args.name,
        namePrefix: args.namePrefix,
        owner: args.owner,
        publicKey: args.publicKey,
        file: args.file,
        certificateName: undefined,
        certificateId: undefined,
        thumbprint: undefined,
        subject: undefined,
        startDate: undefined,
        expiryDate: undefined,
      },
      opts,
    );
    const warnBeforeDays = checkWarnBeforeDays(`PeerCertificate '${name}'`, args.warnBeforeDays);
    if (args.expiryWarnings !== false) {
      watchExpiry({
        resource: this,
        instance: args.instanceName ?? name,
        peer: args.peerName ?? this.subject,
        certificateName: this.certificateName,
        expiryDate: this.expiryDate,
        warnBeforeDays,
      });
    }
  }
}

/** SQL Server's thumbprint (SHA-1 of the DER) as the catalog records show it: uppercase hex. */
function thumbprintOf(der: Buffer): string {
  return createHash("sha1").update(der).digest("hex").toUpperCase();
}

/** Default prefix of generated peer-certificate names. */
export const DEFAULT_PEER_PREFIX = "mirroring_peer";

/**
 * Decodes a public certificate given as base64 DER or `0x` hex and checks it is one X.509
 * certificate; returns the DER or a reason.
 */
export function decodePublicKey(value: unknown): Buffer | string {
  if (typeof value !== "string" || value.trim() === "") return "must be the peer certificate's DER as base64 or 0x-prefixed hex";
  const text = value.trim();
  let der: Buffer;
  if (/^0x/i.test(text)) {
    if (!/^0x([0-9a-f]{2})+$/i.test(text)) return "is not valid hex: expected 0x followed by pairs of hex digits";
    der = Buffer.from(text.slice(2), "hex");
  } else {
    const compact = text.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) return "is neither base64 nor 0x-prefixed hex";
    der = Buffer.from(compact, "base64");
  }
  try {
    const cert = new X509Certificate(der);
    if (!cert.raw.equals(der)) return "holds bytes after the certificate: give exactly one DER certificate";
  } catch {
    return "is not a valid DER X.509 certificate (SQL Server would refuse it with 15297)";
  }
  return der;
}

/** Imports the certificate; `resumed`: an earlier create of this resource may have imported it. */
async function importPeerCertificate(id: string, inputs: Props, resumed: boolean): Promise<Record<string, unknown>> {
  const client = clientFor(inputs.connection);
  const name = inputs.name as string;
  const der = typeof inputs.publicKey === "string" ? Buffer.from(inputs.publicKey, "base64") : undefined;
  return createKeepingPending(id, { ...inputs }, async () => {
    const { record, existedBefore } = await createPeerCertificate(
      client,
      { name, owner: inputs.owner as string, ...(der !== undefined ? { der } : { file: inputs.file as string }) },
      { resumed },
    );
    if (existedBefore) {
      throw new ObjectExistsError("certificate", name, client.target, "drop it or choose another name");
    }
    return { ...withoutProvider(inputs), ...certificateOutputs(record), publicKey: inputs.publicKey };
  });
}

/** The provider behind {@link PeerCertificate}. */
export const peerCertificateProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    const c = new Checker(news);
    const connection = checkConnection(news.connection, c.failures);
    const owner = c.sysname("owner", { required: true });
    const given = [news.publicKey, news.file].filter((v) => v !== undefined && v !== null).length;
    if (given !== 1) c.fail(news.publicKey === undefined ? "publicKey" : "file", "give exactly one of publicKey (DER) and file (a path on the server)");
    let der: Buffer | undefined;
    if (news.publicKey !== undefined && !isUnknown(news.publicKey)) {
      const decoded = decodePublicKey(news.publicKey);
      if (typeof decoded === "string") c.fail("publicKey", decoded);
      else der = decoded;
    }
    if (news.file !== undefined && !isUnknown(news.file)) {
      const reason = validateFilePath(news.file);
      if (reason) c.fail("file", reason);
    }
    let name: unknown;
    let autoNamed = true;
    if (news.name !== undefined && news.name !== null) {
      name = c.sysname("name");
      autoNamed = false;
    } else if (isUnknown(news.publicKey)) name = news.publicKey; // known once the peer's certificate is
    else if (der !== undefined) {
      // Named after the key material, so a new key (rotation) is imported beside the old one.
      const prefix = c.sysname("namePrefix", { default: DEFAULT_PEER_PREFIX });
      name = isUnknown(prefix) ? prefix : `${String(prefix)}_${thumbprintOf(der).slice(0, 8).toLowerCase()}`;
    } else name = chooseName(c, news, olds, DEFAULT_PEER_PREFIX).name;
    return {
      inputs: { ...news, connection, owner, name, autoNamed, ...(der !== undefined ? { publicKey: der.toString("base64") } : {}) },
      failures: c.failures,
    };
  },

  async diff(_id, olds: Props, news: Props) {
    const replaces: string[] = [];
    if (news.name !== olds.name) replaces.push("name");
    // A new key, or a certificate of this name that no longer holds the key (drift), is replaced.
    if (news.publicKey !== olds.publicKey) replaces.push("publicKey");
    else if (typeof news.publicKey === "string" && typeof olds.thumbprint === "string" && thumbprintOf(Buffer.from(news.publicKey, "base64")) !== olds.thumbprint) {
      replaces.push("publicKey");
    }
    if (news.file !== olds.file) replaces.push("file");
    // The replacement keeps the name when it is fixed, or derived from the key that drift took
    // away: that name must be freed first. A generated name (file imports) is regenerated.
    const sameName = news.name === olds.name && (news.autoNamed !== true || news.publicKey !== undefined);
    return diffResult(olds, news, replaces, news.owner !== olds.owner ? ["owner"] : [], sameName);
  },

  async create(inputs: Props) {
    const id = objectId(inputs.connection, "certificate", inputs.name as string);
    return { id, outs: await importPeerCertificate(id, inputs, false) };
  },

  async read(id, props: Props) {
    const record = await readCertificate(clientFor(props.connection), props.name as string);
    if (record === undefined) return GONE;
    const outs = { ...(withoutProvider(props) as Props), ...certificateOutputs(record), publicKey: props.publicKey };
    return { id, props: outs, inputs: refreshedInputs(outs, ["connection", "name", "namePrefix", "autoNamed", "owner", "publicKey", "file"]) };
  },

  async update(id, olds: Props, news: Props) {
    // An earlier create lost its reply: finish it.
    if (olds[CREATE_PENDING] === true) return { outs: await importPeerCertificate(id, news, true) };
    // Only connection settings changed: nothing for SQL Server to do.
    if (news.owner === olds.owner) return { outs: { ...withoutProvider(news), ...pickOutputs(olds), publicKey: news.publicKey } };
    const client = clientFor(news.connection);
    const current = await readCertificate(client, news.name as string);
    if (current === undefined) {
      throw new Error(`certificate [${String(news.name)}] on ${client.target} no longer exists; run pulumi refresh, then pulumi up to recreate it`);
    }
    const record = await changeCertificateOwner(client, current, news.owner as string);
    return { outs: { ...withoutProvider(news), ...certificateOutputs(record), publicKey: news.publicKey } };
  },

  async delete(_id, props: Props) {
    const client = clientFor(props.connection);
    if (props[CREATE_PENDING] === true) {
      // A pending create's certificate is dropped only if it holds this resource's key (or owner, for a file).
      const record = await readCertificate(client, props.name as string);
      const own =
        record !== undefined &&
        (typeof props.publicKey === "string" ? record.thumbprint === thumbprintOf(Buffer.from(props.publicKey, "base64")) : record.owner === props.owner);
      if (!own) return;
    }
    await dropCertificate(client, props.name as string);
  },
};


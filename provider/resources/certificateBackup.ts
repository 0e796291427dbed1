/**
 * `CertificateBackup`: `BACKUP CERTIFICATE` to a file on the server, for shops that must keep
 * certificate files. Destroying it leaves the files in place: SQL Server cannot delete them.
 */
import * as pulumi from "@pulumi/pulumi";
import { backupCertificate, readCertificate, validateFilePath, validatePassword } from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { checkConnection, connectionInput, type ConnectionArgs } from "./connection";
import { clientFor, CREATE_PENDING, createKeepingPending, diffResult, objectId, withoutProvider, type Props } from "./lifecycle";
import { isUnknown } from "./unknown";

/** Arguments of {@link CertificateBackup}. Any change writes a new backup (replacement). */
export interface CertificateBackupArgs {
  /** The instance holding the certificate. */
  connection: ConnectionArgs;
  /** The certificate to back up. */
  certificateName: pulumi.Input<string>;
  /** `TO FILE`: path as the SQL Server service sees it; a bare name goes to the instance's data folder. Must not exist (15240). */
  file: pulumi.Input<string>;
  /** `WITH PRIVATE KEY (FILE, ENCRYPTION BY PASSWORD)`: also write the private key, encrypted with this password (secret). */
  privateKey?: { file: pulumi.Input<string>; password: pulumi.Input<string> };
}

/** A certificate backup written to files on the server. */
export class CertificateBackup extends MssqlResource {
  /** When the backup was written, ISO-8601 UTC. */
  declare readonly backedUpAt: pulumi.Output<string>;
  /** SHA-1 thumbprint of the certificate that was backed up. */
  declare readonly thumbprint: pulumi.Output<string>;

  constructor(name: string, args: CertificateBackupArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "CertificateBackup",
      name,
      {
        connection: connectionInput(args.connection),
        certificateName: args.certificateName,
        file: args.file,
        privateKey: args.privateKey ? { file: args.privateKey.file, password: pulumi.secret(args.privateKey.password) } : undefined,
        backedUpAt: undefined,
        thumbprint: undefined,
      },
      opts,
    );
  }
}

interface PrivateKeyInputs {
  file: string;
  password: string;
}

/** Writes the backup, then reads the certificate's thumbprint; `resumed`: an earlier attempt may have written the files. */
async function writeBackup(id: string, inputs: Props, resumed: boolean): Promise<Record<string, unknown>> {
  const client = clientFor(inputs.connection);
  const name = inputs.certificateName as string;
  const key = inputs.privateKey as PrivateKeyInputs | undefined;
  return createKeepingPending(id, { ...inputs }, async (created) => {
    await backupCertificate(client, { name, file: inputs.file as string, ...(key ? { privateKey: { file: key.file, password: key.password } } : {}) }, { resumed });
    const backedUpAt = new Date().toISOString();
    // The files exist from here on: a failure to read the thumbprint must not forget them.
    created({ ...inputs, backedUpAt, thumbprint: null });
    const record = await readCertificate(client, name);
    return { ...withoutProvider(inputs), backedUpAt, thumbprint: record?.thumbprint ?? null };
  });
}

/** The provider behind {@link CertificateBackup}. */
export const certificateBackupProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const c = new Checker(news);
    const connection = checkConnection(news.connection, c.failures);
    const certificateName = c.sysname("certificateName", { required: true });
    for (const [property, value] of [
      ["file", news.file],
      ["privateKey.file", (news.privateKey as Partial<PrivateKeyInputs> | undefined)?.file],
    ] as const) {
      if (value === undefined && property !== "file") continue;
      if (isUnknown(value)) continue;
      const reason = validateFilePath(value);
      if (reason) c.fail(property, reason);
    }
    const key = news.privateKey as Partial<PrivateKeyInputs> | undefined;
    if (key !== undefined && !isUnknown(key.password)) {
      const reason = validatePassword(key.password);
      if (reason) c.fail("privateKey.password", reason);
    }
    if (key !== undefined && key.file !== undefined && key.file === news.file) c.fail("privateKey.file", "must differ from file: the certificate and its private key are written to two files");
    return { inputs: { ...news, connection, certificateName }, failures: c.failures };
  },

  async diff(_id, olds: Props, news: Props) {
    // A backup is a fact about the past: any new input means writing a new backup.
    const replaces = ["certificateName", "file", "privateKey"].filter((k) => JSON.stringify(news[k]) !== JSON.stringify(olds[k]));
    return diffResult(olds, news, replaces, []);
  },

  async create(inputs: Props) {
    const id = objectId(inputs.connection, "certificate-backup", inputs.certificateName as string, inputs.file as string);
    return { id, outs: await writeBackup(id, inputs, false) };
  },

  async read(id, props: Props) {
    // The files live on the server's file system, which T-SQL cannot list: the state stands.
    return { id, props: withoutProvider(props) };
  },

  async update(id, olds: Props, news: Props) {
    // An earlier backup lost its reply: write it again (a file that is there now is that backup's).
    if (olds[CREATE_PENDING] === true) return { outs: await writeBackup(id, news, true) };
    return { outs: { ...withoutProvider(news), backedUpAt: olds.backedUpAt, thumbprint: olds.thumbprint } };
  },

  async delete() {
    // SQL Server cannot delete files, and backups are meant to outlive the certificate.
  },
};

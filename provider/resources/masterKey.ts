/**
 * `MasterKey`: the database master key (DMK) of `master`, which protects the private key of the
 * instance's endpoint certificate.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  changeMasterKeyPassword,
  createMasterKey,
  dropMasterKey,
  ensureMasterKeyServiceEncryption,
  masterKeyOpensWith,
  readMasterKey,
  type MasterKeyRecord,
} from "../sql";
import { MssqlResource } from "./base";
import { Checker } from "./checks";
import { checkConnection, connectionInput, type ConnectionArgs, type ConnectionInputs } from "./connection";
import { clientFor, CREATE_PENDING, createKeepingPending, diffResult, GONE, ObjectExistsError, objectId, withoutProvider, type Props } from "./lifecycle";

/** Arguments of {@link MasterKey}. */
export interface MasterKeyArgs {
  /** The instance whose `master` gets the key. Changing server or port replaces the resource. */
  connection: ConnectionArgs;
  /**
   * `CREATE MASTER KEY ENCRYPTION BY PASSWORD`. Stored as a secret. Changing it on a key this
   * stack created adds the new password and drops the old one (`ALTER MASTER KEY ADD/DROP
   * ENCRYPTION BY PASSWORD`); it never regenerates the key. Not used for an adopted key.
   */
  password: pulumi.Input<string>;
  /**
   * Manage a master key that already exists instead of failing. Default `true`: `master` often
   * holds a DMK that protects other keys (TDE, backups); an adopted key is never altered and never
   * dropped by this stack.
   */
  adopt?: pulumi.Input<boolean>;
}

/** The DMK of `master` on one instance. */
export class MasterKey extends MssqlResource {
  /** True when the key existed before this stack and was adopted (it will not be dropped). */
  declare readonly adopted: pulumi.Output<boolean>;
  /** `sys.databases.is_master_key_encrypted_by_server` for master: the engine can open the key unattended. */
  declare readonly encryptedByServer: pulumi.Output<boolean>;
  /** `sys.symmetric_keys.create_date`, ISO-8601 UTC. */
  declare readonly createDate: pulumi.Output<string>;

  constructor(name: string, args: MasterKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "MasterKey",
      name,
      {
        connection: connectionInput(args.connection),
        password: pulumi.secret(args.password),
        adopt: args.adopt ?? true,
        adopted: undefined,
        encryptedByServer: undefined,
        createDate: undefined,
      },
      opts,
    );
  }
}

/** State of a {@link MasterKey} as the provider stores it. */
interface MasterKeyState extends Props {
  password: string;
  adopt: boolean;
  adopted: boolean;
  encryptedByServer: boolean;
  createDate: string;
}

function outputs(inputs: Props, record: MasterKeyRecord, adopted: boolean): MasterKeyState {
  return {
    ...(withoutProvider(inputs) as Props),
    password: inputs.password as string,
    adopt: inputs.adopt as boolean,
    adopted,
    encryptedByServer: record.encryptedByServiceMasterKey,
    createDate: record.createDate,
  };
}

/**
 * Creates the key, or adopts the one in place (`resumed`: an earlier create of this resource may have
 * made it). Until that is settled the resource counts as adopted, so a pending create never drops a key.
 */
async function createKey(id: string, inputs: Props, resumed: boolean): Promise<MasterKeyState> {
  const client = clientFor(inputs.connection);
  return createKeepingPending(id, { ...inputs, adopted: true }, async (created) => {
    const { record, existedBefore } = await createMasterKey(client, { password: inputs.password as string }, { resumed });
    if (existedBefore && !inputs.adopt) {
      throw new ObjectExistsError(
        "the database master key of master",
        undefined,
        client.target,
        "it may protect other keys (TDE certificates, backups): set adopt: true to use it without ever altering or dropping it",
      );
    }
    if (existedBefore) return outputs(inputs, record, true);
    created({ ...outputs(inputs, record, false), __provider: inputs.__provider });
    return outputs(inputs, await ensureMasterKeyServiceEncryption(client, record, inputs.password as string), false);
  });
}

/** The provider behind {@link MasterKey}. */
export const masterKeyProvider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news) {
    const c = new Checker(news);
    const connection = checkConnection(news.connection, c.failures);
    // CREATE / ALTER MASTER KEY: "password must meet the Windows password policy requirements of the computer".
    const password = c.password("password", { required: true, policy: {} });
    const adopt = c.boolean("adopt", true);
    return { inputs: { ...news, connection, password, adopt }, failures: c.failures };
  },

  async diff(_id, olds: MasterKeyState, news: Props) {
    const updates: string[] = [];
    // An adopted key is never altered: its passwords belong to whoever created it.
    if (!olds.adopted && news.password !== olds.password) updates.push("password");
    // Drift: without the service-master-key copy the endpoint cannot open its certificate's key.
    if (!olds.adopted && olds.encryptedByServer === false) updates.push("encryptedByServer");
    return diffResult(olds, news, [], updates);
  },

  async create(inputs: Props) {
    const id = objectId(inputs.connection, "master-key");
    return { id, outs: await createKey(id, inputs, false) };
  },

  async read(id, props: MasterKeyState) {
    const record = await readMasterKey(clientFor(props.connection));
    if (record === undefined) return GONE;
    return { id, props: outputs(props, record, props.adopted) };
  },

  async update(id, olds: MasterKeyState, news: Props) {
    // An earlier create lost its reply: finish it (a key in place is ours only if our password opens it).
    if (olds[CREATE_PENDING] === true) return { outs: await createKey(id, news, true) };
    let record: MasterKeyRecord = { encryptedByServiceMasterKey: olds.encryptedByServer, createDate: olds.createDate };
    if (!olds.adopted) {
      const client = clientFor(news.connection);
      if (news.password !== olds.password) {
        record = await changeMasterKeyPassword(client, record, olds.password, news.password as string);
      }
      record = await ensureMasterKeyServiceEncryption(client, record, news.password as string);
    }
    return { outs: outputs(news, record, olds.adopted) };
  },

  async delete(_id, props: MasterKeyState) {
    const client = clientFor(props.connection as ConnectionInputs);
    // A pending create's key counts as adopted unless it exists and this resource's password opens it.
    const pending = props[CREATE_PENDING] === true;
    const own = pending ? (await readMasterKey(client)) !== undefined && (await masterKeyOpensWith(client, props.password)) : !props.adopted;
    // Only a key this stack created is dropped; SQL Server refuses (15580) while it protects any key.
    if (!own) return;
    await dropMasterKey(client);
  },
};
